package org

import "time"

// rng is a splitmix64 generator: tiny state, fast, and good enough for test data. Every record
// gets its own rng seeded from (seed, object, index), so records are independent of each other
// and of the order in which they are generated.
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// hashString is FNV-1a, used to turn object names into seeds.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func hash3(a, b, c uint64) uint64 {
	return mix64(mix64(mix64(a)^b) ^ c)
}

func newRng(seed uint64) rng { return rng{s: seed} }

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn returns a value in [0, n); n <= 0 gives 0.
func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.u64() % uint64(n))
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func (r *rng) float() float64 { return float64(r.u64()>>11) / (1 << 53) }

func (r *rng) chance(p float64) bool { return r.float() < p }

func (r *rng) pick(xs []string) string { return xs[r.intn(len(xs))] }

func (r *rng) pick2(xs []time.Time) time.Time { return xs[r.intn(len(xs))] }
