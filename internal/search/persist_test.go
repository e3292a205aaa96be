package search

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPersistFailure checks that an index opened from disk, whose batch
// scorch's persister cannot write, says so when it is closed rather than
// closing as if the batch were on disk: kbgen build writes its marker
// over an index only once it closed without an error. The persister fails
// here because the store's directory is gone, so that no segment file can
// be created in it; it reports that only through the asynchronous error
// callback, and retries.
func TestPersistFailure(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	ix, err := Update(ctx, dir, internalCorpus(t, 10))
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	bi, failed, err := openBleve(dir)
	if err != nil {
		t.Fatal(err)
	}
	ix = &Index{bi: bi, failed: failed, path: dir}
	if err := os.RemoveAll(storePath(dir)); err != nil {
		t.Fatal(err)
	}
	b := bi.NewBatch()
	if err := b.Index("extra/", map[string]any{"title": "再起動後に再試行"}); err != nil {
		t.Fatal(err)
	}
	if err := ix.commit(b); err != nil {
		t.Fatalf("commit: %v (the batch should fail only as it is persisted)", err)
	}
	closed := make(chan error, 1)
	go func() { closed <- ix.closeBleve() }()
	select {
	case err := <-closed:
		if err == nil || !strings.Contains(err.Error(), "persist search index") {
			t.Fatalf("closing an index whose batch was never persisted: %v, want the persister's error", err)
		}
		t.Log(err)
	case <-time.After(30 * time.Second):
		t.Fatal("still closing after 30 s")
	}
	if _, ok := persistFailures.Load(storePath(dir)); ok {
		t.Error("the closed index is still registered for the persister's errors")
	}
}
