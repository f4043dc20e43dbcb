import t from 'tap'
import { TokenBucket } from '../../src/util/token-bucket.js'

t.test('starts full, refills at its rate up to the burst', async (t) => {
  const bucket = new TokenBucket(10, 5, 0)
  t.ok(bucket.take(5, 0), 'the burst is there at once')
  t.notOk(bucket.take(1, 0), 'then nothing')
  t.notOk(bucket.take(1, 99), 'one token takes 100 ms at 10/s')
  t.ok(bucket.take(1, 100))
  t.ok(bucket.take(5, 10_000), 'a long pause refills to the burst')
  t.notOk(bucket.take(1, 10_000), 'and no further')
})

t.test('peek spends nothing; a failed take spends nothing', async (t) => {
  const bucket = new TokenBucket(1, 2, 0)
  t.ok(bucket.peek(2, 0))
  t.ok(bucket.peek(2, 0), 'still there')
  t.notOk(bucket.take(3, 0), 'more than it holds')
  t.ok(bucket.take(2, 0), 'the failed take left both tokens')
})

t.test('msUntil: when the tokens will be there', async (t) => {
  const bucket = new TokenBucket(4, 4, 0)
  t.equal(bucket.msUntil(1, 0), 0)
  bucket.take(4, 0)
  t.equal(bucket.msUntil(1, 0), 250)
  t.equal(bucket.msUntil(2, 100), 400)
  t.equal(new TokenBucket(0, 1, 0).msUntil(2, 0), Infinity, 'a rate of 0 never gets there')
})

t.test('a clock that steps back adds nothing and takes nothing away', async (t) => {
  const bucket = new TokenBucket(1000, 10, 1000)
  t.ok(bucket.take(10, 1000))
  t.notOk(bucket.take(1, 500), 'an earlier time refills nothing')
  t.notOk(bucket.take(1, 1000), 'nor does the old time again')
  t.ok(bucket.take(1, 1001), 'time going on from the latest seen refills')
})
