export {
  voteMessage, quorumOf, assembleCertificate, verifyCertificate,
  type CommitteeView, type VerifySignature, type CertificateCheck
} from './certificate.js'
export { SoloOrderer, defaultSoloOrdererOptions, type SoloOrdererOptions, type SoloOrdererDeps, type FinalBatchEvent } from './solo-orderer.js'
