package engine

import (
	"math"
	"sync"
)

// Nearest-first walks over a tenant's dealers ("find this part nearby").
//
// A request walks dealers in increasing great-circle distance and stops once it has found
// enough that hold the part, so it must not measure every dealer. Points are indexed as
// unit vectors in 3D: the chord between two unit vectors grows with the great-circle angle,
// so nearest-by-chord is nearest-by-angle, with no special case at the antimeridian or the
// poles. A static k-d tree with a bounding box per node bounds the chord to every point
// below a node, and a best-first traversal opens nodes in order of that bound.
//
// The walk's order is defined by haversineKm itself, not by the chord: two points whose
// distances differ by an ulp can compare the other way by chord (a query at a pole and a
// ring of dealers on one latitude is enough), and a chord of nearly 2 loses ~0.1 m through
// asin. So the chord only prunes: a point's exact kilometres are computed when it is the
// nearest unsettled candidate, and it is emitted once every point not yet measured is,
// by its chord bound with a safety margin for rounding, strictly farther. The kilometres
// passed to fn are exactly haversineKm(q, pts[i]), and the order is exactly that of sorting
// by (haversineKm, index).

const (
	earthRadiusKm = 6371.0088 // mean radius (IUGG)
	radPerDegree  = math.Pi / 180

	nearLeafSize = 16 // most points in a leaf; leaves hold 8..16 (fewer only when n < 8)

	// Rounding margins of the pruning test (see chord2Beyond). A computed squared chord c2
	// between a query and a point (or a box) satisfies true chord ≥ √c2·(1−nearRel) − nearAbs;
	// haversineKm is within nearKmSlack of the true distance. The real errors are a few
	// 1e-16 and ~1e-10 km: the margins only make a walk open a node or two more.
	nearRel     = 1e-14
	nearAbs     = 1e-14
	nearKmSlack = 1e-9
)

type latLng struct{ lat, lng float64 } // degrees

// nearVec is a point on the unit sphere.
type nearVec [3]float64

func unitVec(p latLng) nearVec {
	sφ, cφ := math.Sincos(p.lat * radPerDegree)
	sλ, cλ := math.Sincos(p.lng * radPerDegree)
	return nearVec{cφ * cλ, cφ * sλ, sφ}
}

func (a *nearVec) dist2(b *nearVec) float64 {
	dx, dy, dz := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	return dx*dx + dy*dy + dz*dz
}

// haversineKm is the great-circle distance between two points on a sphere of the Earth's
// mean radius (6371.0088 km).
func haversineKm(a, b latLng) float64 {
	φ1, φ2 := a.lat*radPerDegree, b.lat*radPerDegree
	c := math.Cos(φ1) * math.Cos(φ2)
	sd := math.Sin((φ2 - φ1) / 2)
	ss := math.Sin((φ2 + φ1) / 2)
	sl, cl := math.Sincos((b.lng - a.lng) * radPerDegree / 2)
	h := max(0, sd*sd+c*sl*sl) // hav θ
	// 1 − hav θ = hav(π − θ), the haversine to b's antipode: a sum of non-negative terms, so
	// unlike 1−h or asin(√h) it keeps its precision when a and b are nearly antipodal.
	g := max(0, ss*ss+c*cl*cl)
	return 2 * earthRadiusKm * math.Atan2(math.Sqrt(h), math.Sqrt(g))
}

// nearIndex is an immutable index of points on the sphere for nearest-first walks.
// Safe for concurrent readers.
type nearIndex struct {
	// The points in tree order: a node's points are a contiguous range.
	vecs []nearVec
	pts  []latLng
	ids  []int32 // tree order → position in the caller's pts

	// An implicit complete binary tree: node i's children are 2i+1 and 2i+2, and the nodes
	// from leaf0 on are leaves.
	nodes []nearNode
	leaf0 int
}

type nearNode struct {
	lo, hi     nearVec // bounding box of the node's points
	start, end int32   // its range of tree order
}

// dist2 is a lower bound of the squared chord from q to any point in the node's box.
func (n *nearNode) dist2(q *nearVec) float64 {
	var s float64
	for a := range 3 {
		if d := n.lo[a] - q[a]; d > 0 {
			s += d * d
		} else if d := q[a] - n.hi[a]; d > 0 {
			s += d * d
		}
	}
	return s
}

// newNearIndex indexes pts; a point's identity is its position in pts. Points with
// invalid coordinates are never passed (the caller filters them).
func newNearIndex(pts []latLng) *nearIndex {
	n := len(pts)
	x := &nearIndex{}
	if n == 0 {
		return x
	}
	if int64(n) > math.MaxInt32 {
		panic("engine: too many points for a nearIndex")
	}
	depth := 0
	for (n+1<<depth-1)>>depth > nearLeafSize {
		depth++
	}
	b := nearBuilder{pts: make([]nearBuildPoint, n), rnd: 0x9e3779b97f4a7c15}
	for i, p := range pts {
		b.pts[i] = nearBuildPoint{unitVec(p), int32(i)}
	}
	x.leaf0 = 1<<depth - 1
	x.nodes = make([]nearNode, 1<<(depth+1)-1)
	b.build(x, 0, 0, n)

	x.vecs = make([]nearVec, n)
	x.pts = make([]latLng, n)
	x.ids = make([]int32, n)
	for i, p := range b.pts {
		x.vecs[i], x.pts[i], x.ids[i] = p.v, pts[p.id], p.id
	}
	return x
}

type nearBuilder struct {
	pts []nearBuildPoint // becomes tree order
	rnd uint64           // pivot choice; fixed seed, so a build is reproducible
}

// nearBuildPoint moves with its vector so that a node's range is contiguous in memory.
type nearBuildPoint struct {
	v  nearVec
	id int32
}

// build lays out pts[lo:hi] under node: each inner node splits its range in halves at the
// median of the box's widest axis, which keeps the tree implicit and O(n log n) to build.
func (b *nearBuilder) build(x *nearIndex, node, lo, hi int) {
	nd := &x.nodes[node]
	nd.start, nd.end = int32(lo), int32(hi)
	nd.lo, nd.hi = b.pts[lo].v, b.pts[lo].v
	for i := lo + 1; i < hi; i++ {
		v := &b.pts[i].v
		for a := range 3 {
			nd.lo[a] = min(nd.lo[a], v[a])
			nd.hi[a] = max(nd.hi[a], v[a])
		}
	}
	if node >= x.leaf0 {
		return
	}
	axis := 0
	for a := 1; a < 3; a++ {
		if nd.hi[a]-nd.lo[a] > nd.hi[axis]-nd.lo[axis] {
			axis = a
		}
	}
	mid := lo + (hi-lo)/2
	b.selectNth(b.pts[lo:hi], mid-lo, axis)
	b.build(x, 2*node+1, lo, mid)
	b.build(x, 2*node+2, mid, hi)
}

// selectNth reorders s so that s[k] has the k-th smallest coordinate on axis, none before
// it larger and none after it smaller: quickselect with a random pivot and a three-way
// partition, so runs of duplicate points (many dealers geocoded to one postal code) stay
// linear.
func (b *nearBuilder) selectNth(s []nearBuildPoint, k, axis int) {
	for len(s) > 1 {
		b.rnd ^= b.rnd << 13
		b.rnd ^= b.rnd >> 7
		b.rnd ^= b.rnd << 17
		pivot := s[b.rnd%uint64(len(s))].v[axis]
		// s[:lt] < pivot, s[lt:i] == pivot, s[gt:] > pivot
		lt, i, gt := 0, 0, len(s)
		for i < gt {
			switch c := s[i].v[axis]; {
			case c < pivot:
				s[lt], s[i] = s[i], s[lt]
				lt++
				i++
			case c > pivot:
				gt--
				s[i], s[gt] = s[gt], s[i]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			s = s[:lt]
		case k >= gt:
			s, k = s[gt:], k-gt
		default:
			return
		}
	}
}

// nearest calls fn for the indexed points in increasing great-circle distance from q, with
// that distance in kilometres, until fn returns false or every point was visited. Points at
// the same distance come in increasing index order (deterministic ties). The distance is
// exactly haversineKm(q, p). A q with a NaN or infinite coordinate visits nothing.
func (x *nearIndex) nearest(q latLng, fn func(i int, km float64) bool) { x.nearestWhere(q, nil, fn) }

// nearestWhere is nearest over the points keep accepts (nil: all). keep is asked once per
// point the walk reaches, before its distance is measured, so a walk to the few points of a
// sparse subset skips the others at the cost of a chord.
func (x *nearIndex) nearestWhere(q latLng, keep func(i int) bool, fn func(i int, km float64) bool) {
	if len(x.ids) == 0 || math.IsNaN(q.lat) || math.IsInf(q.lat, 0) || math.IsNaN(q.lng) || math.IsInf(q.lng, 0) {
		return
	}
	w := nearWalks.Get().(*nearWalk)
	w.walk(x, q, keep, fn)
	if cap(w.nodes)+cap(w.cands)+cap(w.found) <= nearPoolMax {
		nearWalks.Put(w)
	}
}

// nearPoolMax bounds, in heap entries, what a pooled walk keeps after a long walk.
const nearPoolMax = 1 << 13

var nearWalks = sync.Pool{New: func() any { return new(nearWalk) }}

// nearWalk is the state of one walk, pooled so that a short walk allocates nothing.
type nearWalk struct {
	nodes nearHeap // unopened nodes by the lower bound of their squared chord
	cands nearHeap // points of opened leaves by squared chord, not yet measured
	found nearHeap // measured points by (km, id), not yet emitted

	measured int // haversineKm calls in the last walk (for tests)
	seen     int // points whose chord the last walk computed (for tests)
}

func (w *nearWalk) walk(x *nearIndex, q latLng, keep func(int) bool, fn func(int, float64) bool) {
	w.nodes, w.cands, w.found = w.nodes[:0], w.cands[:0], w.found[:0]
	w.measured, w.seen = 0, 0
	qv := unitVec(q)
	w.nodes.push(nearItem{key: x.nodes[0].dist2(&qv), ref: 0})
	limitKm, limit := math.NaN(), 0.0 // limit = chord2Beyond(limitKm), cached
	for {
		// Emit the nearest measured point once nothing unmeasured can be as near.
		if len(w.found) > 0 {
			top := w.found[0]
			bound := math.Inf(1)
			if len(w.nodes) > 0 {
				bound = w.nodes[0].key
			}
			if len(w.cands) > 0 {
				bound = min(bound, w.cands[0].key)
			}
			if top.key != limitKm {
				limitKm, limit = top.key, chord2Beyond(top.key)
			}
			if bound > limit || len(w.nodes)+len(w.cands) == 0 {
				w.found.pop()
				if !fn(int(top.tie), top.key) {
					return
				}
				continue
			}
		}
		// Otherwise refine whichever is nearer: the nearest candidate or the nearest node.
		switch {
		case len(w.cands) > 0 && (len(w.nodes) == 0 || w.cands[0].key <= w.nodes[0].key):
			c := w.cands.pop()
			w.measured++
			w.found.push(nearItem{key: haversineKm(q, x.pts[c.ref]), tie: x.ids[c.ref]})
		case len(w.nodes) > 0:
			n := int(w.nodes.pop().ref)
			if n >= x.leaf0 {
				nd := &x.nodes[n]
				w.seen += int(nd.end - nd.start)
				for p := nd.start; p < nd.end; p++ {
					if keep == nil || keep(int(x.ids[p])) {
						w.cands.push(nearItem{key: qv.dist2(&x.vecs[p]), ref: p})
					}
				}
				continue
			}
			for c := 2*n + 1; c <= 2*n+2; c++ {
				w.nodes.push(nearItem{key: x.nodes[c].dist2(&qv), ref: int32(c)})
			}
		default:
			return // everything was emitted
		}
	}
}

// chord2Beyond is a squared chord above which every point is strictly farther than km by
// haversineKm: a point with computed squared chord c2 has true chord ≥ √c2·(1−nearRel) −
// nearAbs, hence true angle > θ = (km+nearKmSlack)/R once that exceeds 2·sin(θ/2), hence
// haversineKm > km. +Inf when no point can be strictly farther.
func chord2Beyond(km float64) float64 {
	θ := (km + nearKmSlack) / earthRadiusKm
	if !(θ < math.Pi) {
		return math.Inf(1)
	}
	c := (2*math.Sin(θ/2)*(1+nearRel) + nearAbs) / (1 - nearRel)
	return c * c * (1 + nearRel)
}

// nearItem is a heap entry: a node, a candidate point (ref, by tree order) or a measured
// point (tie, the caller's index).
type nearItem struct {
	key float64
	tie int32
	ref int32
}

func (a nearItem) less(b nearItem) bool {
	return a.key < b.key || a.key == b.key && a.tie < b.tie
}

// nearHeap is a binary min-heap of nearItems (container/heap would box every entry).
type nearHeap []nearItem

func (h *nearHeap) push(it nearItem) {
	s := append(*h, it)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !it.less(s[p]) {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = it
	*h = s
}

func (h *nearHeap) pop() nearItem {
	s := *h
	top := s[0]
	n := len(s) - 1
	last := s[n]
	s = s[:n]
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && s[c+1].less(s[c]) {
			c++
		}
		if !s[c].less(last) {
			break
		}
		s[i] = s[c]
		i = c
	}
	if n > 0 {
		s[i] = last
	}
	*h = s
	return top
}
