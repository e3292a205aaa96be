package search

import (
	"fmt"
	"os"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
)

// An index opened from disk commits its batches without waiting for
// scorch to persist them ("unsafe_batch"): a batch is searchable once
// its segment is introduced, in memory, and scorch's persister writes it
// out in the background, syncing the segment file and the root. Batch,
// which waited for that, took 5 to 29 ms of each one-article rebuild at
// 10,000 generated articles, on the search's path; the export, reading
// the introduced segment, need not wait for the sync. The index waits for every
// batch it committed, the keys Close commits among them, before it
// closes (closeBleve), so a caller that writes a marker once the index
// is closed (kbgen build) writes it over an index on disk. A process
// killed before then leaves what scorch had persisted, as one killed
// while a batch was waited for did: the index before the update, or one
// without its keys, which Update and Open do not trust.
const persistCallback = "kbgen"

// persistFailures holds, by the path of an open index's store, where to
// report an error of scorch's persister, which retries rather than
// returning it to anyone.
var persistFailures sync.Map // string → chan error

func init() {
	scorch.RegistryAsyncErrorCallbacks[persistCallback] = func(err error, path string) {
		if ch, ok := persistFailures.Load(path); ok {
			select {
			case ch.(chan error) <- err:
			default: // one is enough
			}
		}
	}
}

// openBleve opens the index in dir to commit without waiting for
// persistence; failed receives the persister's errors until the index is
// closed (closeBleve).
func openBleve(dir string) (bi bleve.Index, failed chan error, err error) {
	failed = make(chan error, 1)
	store := storePath(dir)
	persistFailures.Store(store, failed)
	bi, err = bleve.OpenUsing(dir, map[string]interface{}{
		"unsafe_batch":           true,
		"asyncErrorCallbackName": persistCallback,
	})
	if err != nil {
		persistFailures.Delete(store)
		return nil, nil, err
	}
	return bi, failed, nil
}

// storePath is the directory bleve keeps an index's scorch store in, the
// path scorch reports its errors with.
func storePath(dir string) string { return dir + string(os.PathSeparator) + "store" }

// commit commits b, and notes it for persisted to wait for if ix was
// opened by openBleve. (An index in memory has no persister, and one
// built afresh commits each batch once persisted.)
func (ix *Index) commit(b *bleve.Batch) error {
	if ix.failed == nil {
		return ix.bi.Batch(b)
	}
	done := make(chan error, 1)
	b.SetPersistedCallback(func(err error) { done <- err })
	if err := ix.bi.Batch(b); err != nil {
		return err
	}
	// Those persisted already are let go: a dev server commits a batch
	// for every edit.
	ix.pending = unpersisted(ix.pending)
	ix.pending = append(ix.pending, done)
	return nil
}

// unpersisted returns the batches of pending not yet reported persisted,
// and those reported with an error, for persisted to return it.
func unpersisted(pending []chan error) []chan error {
	kept := pending[:0]
	for _, done := range pending {
		select {
		case err := <-done:
			if err != nil {
				done <- err
				kept = append(kept, done)
			}
		default:
			kept = append(kept, done)
		}
	}
	return kept
}

// persisted waits until scorch has persisted every batch commit
// committed, or reports the persister's error.
func (ix *Index) persisted() error {
	for len(ix.pending) > 0 {
		select {
		case err := <-ix.pending[0]:
			if err != nil {
				return err
			}
			ix.pending = ix.pending[1:]
		case err := <-ix.failed:
			return fmt.Errorf("persist search index: %w", err)
		}
	}
	return nil
}

// closeBleve waits for what ix committed to be persisted, then closes
// its bleve index.
func (ix *Index) closeBleve() error {
	err := ix.persisted()
	if cerr := ix.bi.Close(); err == nil {
		err = cerr
	}
	if ix.failed != nil && ix.path != "" {
		persistFailures.Delete(storePath(ix.path))
	}
	return err
}
