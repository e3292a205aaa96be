package search

import (
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/kbgen/kbgen/internal/mapfile"
)

// The export state file is written and read by a codec of its own rather
// than by gob: every build with a cache reads the state and writes it
// again, and at 10,000 generated articles (16.7 MB, 170,688 terms) gob
// took about 0.13 s of CPU each way, a sixth of what an edited rebuild's
// search index costs. The file is mapped into memory (mapfile.Map), and
// every string and byte slice of the state points into it: read, its
// 18 MB at 10,000 generated articles (10 MB since, see encodeBuckets)
// were as much fresh memory to fault in, on the search's path, the
// longer one in a one-article rebuild.
// Nothing writes into a state's slices: a state is changed by making
// new ones (see exportDelta).
//
// The layout: stateMagic, then each field of exportState in the order of
// encode (integers as uvarints, floats as their bits, lists as their
// length and then their elements, a string or byte slice as its length
// and its bytes), then the CRC-32C of all that. A file that is cut short,
// changed or of another layout reads as no state, and the export is made
// in full.

const stateMagic = "kbgen export state 4\n"

// stateBuild names the build of kbgen that reads and writes export
// states: its Go toolchain, its module's version and the revision it was
// built from. A state another build wrote reads as none, and the
// export is then made in full, its files kept only where their bytes
// are the same (see Reuse). A delta export keeps every file whose
// content it did not change as it is, and so would keep, after kbgen is
// upgraded, files that the new build writes otherwise: term shards
// compressed by another toolchain's compress/flate, which a clean build
// of the same site does not write byte for byte. The pages are made
// afresh after an upgrade for the same reason (the build cache is keyed
// by the executable's hash). A variable, for tests.
var stateBuild = buildOf()

// buildOf returns what stateBuild names, from the executable's build
// information.
func buildOf() string {
	b := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		b += " " + bi.Main.Path + "@" + bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				b += " " + s.Key + "=" + s.Value
			}
		}
	}
	return b
}

var stateCRC = crc32.MakeTable(crc32.Castagnoli)

// stateEncoder writes an export state to w through a small buffer,
// summing what it writes.
type stateEncoder struct {
	w   io.Writer
	crc hash.Hash32
	buf []byte
	err error
}

func (e *stateEncoder) flush() {
	if e.err == nil && len(e.buf) > 0 {
		e.crc.Write(e.buf)
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

func (e *stateEncoder) grow() {
	if len(e.buf) >= 64<<10 {
		e.flush()
	}
}

func (e *stateEncoder) uint(v uint64) {
	e.buf = binary.AppendUvarint(e.buf, v)
	e.grow()
}

func (e *stateEncoder) int(v int) {
	e.buf = binary.AppendVarint(e.buf, int64(v))
	e.grow()
}

func (e *stateEncoder) float(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
	e.grow()
}

func (e *stateEncoder) string(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
	e.grow()
}

func (e *stateEncoder) bytes(b []byte) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(b)))
	e.buf = append(e.buf, b...)
	e.grow()
}

func (e *stateEncoder) strings(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.string(s)
	}
}

func (e *stateEncoder) uint32s(v []uint32) {
	e.uint(uint64(len(v)))
	for _, x := range v {
		e.buf = binary.LittleEndian.AppendUint32(e.buf, x)
		e.grow()
	}
}

func (st *exportState) encode(w io.Writer) error {
	e := &stateEncoder{w: w, crc: crc32.New(stateCRC), buf: make([]byte, 0, 72<<10)}
	e.buf = append(e.buf, stateMagic...)
	e.string(stateBuild)
	e.int(st.Stats.Format)
	e.int(st.Stats.Docs)
	for _, f := range st.Stats.AvgLen {
		e.float(f)
	}
	e.strings(st.Stats.Split)
	for _, n := range st.Shards {
		e.int(n)
	}
	for _, family := range st.Sizes {
		for _, n := range family {
			e.int(int(n))
		}
	}
	e.string(st.Codes)
	e.strings(st.IDs)
	e.bytes(st.Sums)
	e.strings(st.Terms)
	e.uint32s(st.DF)
	e.uint32s(st.Count)
	e.uint(uint64(len(st.Buckets)))
	for _, b := range st.Buckets {
		e.bytes(b)
	}
	e.uint(uint64(len(st.Cards)))
	for _, c := range st.Cards {
		e.string(c.ID)
		e.string(c.Title)
		e.string(c.Lang)
		e.strings(c.Codes)
	}
	e.uint32s(st.Lens)
	e.strings(st.Files)
	e.bytes(st.FileSum)
	e.flush()
	if e.err != nil {
		return e.err
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, e.crc.Sum32()))
	return err
}

// stateDecoder reads an export state from data, which it keeps: the
// strings it returns point into it, so data must not change after.
type stateDecoder struct {
	data []byte
	off  int
	err  error
}

var (
	errCorruptState = errors.New("corrupt export state")
	errOtherBuild   = errors.New("export state of another build of kbgen")
)

func (d *stateDecoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.data[d.off:])
	if n <= 0 {
		d.err = errCorruptState
		return 0
	}
	d.off += n
	return v
}

func (d *stateDecoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.data[d.off:])
	if n <= 0 || v != int64(int(v)) {
		d.err = errCorruptState
		return 0
	}
	d.off += n
	return int(v)
}

// count reads a length of elements each at least size bytes long, and
// fails rather than return more than the rest of data could hold: a
// length alone must not size memory.
func (d *stateDecoder) count(size int) int {
	n := d.uint()
	if n > uint64(len(d.data)-d.off)/uint64(size) {
		d.err = errCorruptState
		return 0
	}
	return int(n)
}

func (d *stateDecoder) float() float64 {
	if d.err != nil || len(d.data)-d.off < 8 {
		d.err = errCorruptState
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.data[d.off:]))
	d.off += 8
	return v
}

// bytes returns the next byte slice, nil if it is empty, with its capacity
// cut to its length so that an append copies rather than overwrites what
// follows it.
func (d *stateDecoder) bytes() []byte {
	n := d.count(1)
	if d.err != nil || n == 0 {
		return nil
	}
	b := d.data[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

func (d *stateDecoder) string() string {
	b := d.bytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (d *stateDecoder) strings() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.string()
	}
	return ss
}

func (d *stateDecoder) uint32s() []uint32 {
	n := d.count(4)
	if n == 0 {
		return nil
	}
	v := make([]uint32, n)
	for i := range v {
		v[i] = binary.LittleEndian.Uint32(d.data[d.off:])
		d.off += 4
	}
	return v
}

// decodeState reads the state that encode wrote into data, which the
// state keeps (see stateDecoder).
func decodeState(data []byte) (*exportState, error) {
	if len(data) < len(stateMagic)+4 || string(data[:len(stateMagic)]) != stateMagic {
		return nil, errCorruptState
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, stateCRC) != binary.LittleEndian.Uint32(data[len(body):]) {
		return nil, errCorruptState
	}
	d := &stateDecoder{data: body, off: len(stateMagic)}
	if d.string() != stateBuild || d.err != nil {
		return nil, errOtherBuild
	}
	st := new(exportState)
	st.Stats.Format = d.int()
	st.Stats.Docs = d.int()
	for i := range st.Stats.AvgLen {
		st.Stats.AvgLen[i] = d.float()
	}
	st.Stats.Split = d.strings()
	for i := range st.Shards {
		st.Shards[i] = d.int()
	}
	for f := range st.Sizes {
		for i := range st.Sizes[f] {
			st.Sizes[f][i] = int64(d.int())
		}
	}
	st.Codes = d.string()
	st.IDs = d.strings()
	st.Sums = d.bytes()
	st.Terms = d.strings()
	st.DF = d.uint32s()
	st.Count = d.uint32s()
	if n := d.count(1); n > 0 {
		st.Buckets = make([][]byte, n)
		for i := range st.Buckets {
			st.Buckets[i] = d.bytes()
		}
	}
	if n := d.count(4); n > 0 {
		st.Cards = make([]card, n)
		for i := range st.Cards {
			c := &st.Cards[i]
			c.ID, c.Title, c.Lang, c.Codes = d.string(), d.string(), d.string(), d.strings()
		}
	}
	st.Lens = d.uint32s()
	st.Files = d.strings()
	st.FileSum = d.bytes()
	if d.err == nil && d.off != len(body) {
		d.err = errCorruptState
	}
	if d.err != nil {
		return nil, d.err
	}
	return st, nil
}

// saveExportState writes st for the index at ix.path, replacing the
// previous state at once. An index without a path keeps none.
func (ix *Index) saveExportState(st *exportState) error {
	if ix.path == "" {
		return nil
	}
	// Not renamed over the old state, which is slower and which this
	// process may have mapped (see mapfile.Write).
	return mapfile.Write(statePath(ix.path), st.encode) // which buffers its writes itself
}

// loadExportState returns the state of the last export from the index, or
// nil. Whether it still applies is exportDelta's to judge.
func (ix *Index) loadExportState() *exportState {
	if ix.path == "" {
		return nil
	}
	data, err := mapfile.Map(statePath(ix.path))
	if err != nil {
		return nil
	}
	st, err := decodeState(data)
	if err != nil {
		return nil
	}
	return st
}
