// Kbgen builds a static knowledge-base site from Markdown troubleshooting
// articles: it checks each article against a section schema, highlights its
// code, indexes it for search by error code and text, and writes a site that
// searches from static files alone.
//
// Usage:
//
//	kbgen <command> [flags] [arguments]
//
// Run "kbgen help" for the list of commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
