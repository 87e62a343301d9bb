// Command dwn is a command-line client for Decentralized Web Nodes: it keeps an identity
// (a DID and its private key), writes, updates, queries, reads and deletes records, and
// load-tests a DWN. It speaks the HTTP JSON-RPC wire format of the reference
// @web5/dwn-server, so it works against dwnd and the reference server alike.
//
// Usage:
//
//	dwn id new [--method jwk|key] [--curve Ed25519|secp256k1|P-256] [--out FILE] [--force]
//	dwn id show [--identity FILE]
//	dwn write [--schema URI] [--data-format MIME] [--published] [--tag k=v]... [--recipient DID] FILE|-
//	dwn update RECORDID [--data-format MIME] [--published[=false]] [--tag k=v]... [FILE|-]
//	dwn query [--schema URI] [--record-id ID] [--author DID] [--protocol URI] [--protocol-path PATH] [--tag k=v]...
//	          [--published true|false] [--sort createdAscending|createdDescending|publishedAscending|publishedDescending]
//	          [--limit N] [--cursor JSON] [--all] [--with-data] [--anonymous]
//	dwn read RECORDID [-o FILE] [--anonymous]
//	dwn delete RECORDID [--prune]
//	dwn protocol configure FILE
//	dwn protocol query [URI] [--anonymous]
//	dwn grant create --to DID --scope INTERFACE:METHOD [--protocol URI] [--context-id ID | --protocol-path PATH]
//	          [--expires DURATION|TIME] [--delegated] [--publication required|prohibited] [--description TEXT]
//	dwn grant list [--to DID] [--revoked]
//	dwn grant revoke ID [--description TEXT]
//	dwn grant export ID > FILE
//	dwn bench --op write|read|query|query-cursor|query-tag|protocol-write [--n N] [--c C] [--size BYTES]
//	          [--records R] [--server-pid PID] [--json]
//	dwn help [COMMAND]
//
// The record and protocol commands (write, update, query, read, delete, protocol) also take:
//
//	--endpoint URL   the DWN (default $DWN_ENDPOINT, else http://127.0.0.1:3000)
//	--identity FILE  the identity file (default $DWN_IDENTITY, else ~/.dwn/identity.json)
//	--target DID     the tenant whose DWN is addressed (default: the identity's DID)
//	--grant ID       invoke the permission grant with this record ID (see Permission grants)
//	--delegated-grant FILE
//	                 sign as the grantor under the delegated grant in FILE
//
// The grant commands take --endpoint and --identity and address the identity's own DWN.
//
// Flags may come before or after the positional arguments; "--" ends the flags.
//
// # Identity
//
// "dwn id new" generates a key pair, derives a did:jwk (default) or did:key DID from it
// and writes the identity file: a JSON object with the members "did", "kid" (the DID URL
// of the signing key: did+"#0" for did:jwk, did+"#"+the method-specific id for did:key)
// and "privateJwk". The file is created with mode 0600 (its directory, if created, 0700)
// and is never overwritten without --force.
//
// # Records
//
// "dwn write" streams FILE twice: once to compute its dataCid, then as the request body,
// so a file of any size is never held in memory; standard input ("-") is spooled to a
// temporary file. It prints the recordId on standard output and the DWN status on
// standard error. Tag values are parsed as JSON when they are a JSON number, boolean,
// quoted string or array (--tag n=7 is the number 7, --tag 'n="7"' the string "7") and
// are strings otherwise. Schema and protocol URIs are normalized as the reference
// client does (example.com/x becomes http://example.com/x).
//
// "dwn update" reads the record as its owner to find its initial and latest writes, then
// writes a newer version: new data if FILE is given (the current data otherwise), the
// given tags (the current tags if no --tag) and publication state (the current one
// unless --published is given).
//
// "dwn query" prints one JSON entry per line, without encodedData unless --with-data, and
// the cursor, if more results exist, on standard error as "cursor: JSON", ready for
// --cursor. --all follows cursors to the end. With no filter flag it lists every record
// (it filters on dateCreated from 1970).
//
// "dwn read" streams the record's data to standard output or to the -o FILE.
//
// # Permission grants
//
// A grant (dwn-protocol.md §9) is a record of the built-in permissions protocol in the
// grantor's DWN. "dwn grant create" signs one with the identity, writes it with its data
// to the identity's DWN and prints its record ID; the scope is one of the reference's
// (Records Read/Write/Query/Subscribe/Delete, Protocols Configure/Query, Messages
// Query/Read/Subscribe), Records scopes need --protocol, and --expires defaults to 30d.
// The grantee invokes it with --grant ID --target GRANTOR. A --delegated grant is handed
// to its delegate (e.g. an app key) as the file "dwn grant export ID" prints: the grant's
// message with its data as encodedData. The delegate passes it with --delegated-grant
// FILE, and its messages embed the grant and are authored by the grantor, whose DWN is
// then the default target. "dwn grant list" prints one grant a line, tab-separated:
// record ID, grantee, scope, expiry, state (active, expired, or revoked and when) and
// "delegated"; revoked grants only with --revoked. "dwn grant revoke ID" writes the
// revocation, a child record of the grant tagged with its scope protocol.
//
// Messages invoke the grant; the reads that update and write --parent make first are
// sent as the identity itself, without it. dwnd applies --grant to RecordsWrite,
// RecordsRead and Protocols messages and ignores it on RecordsQuery (as the reference
// does) and RecordsDelete, where only delegated grants count. A ProtocolsQuery cannot
// carry a delegated grant (the message schema forbids it).
//
// # Errors
//
// An error prints one line "dwn: <cause>" and "hint:" lines saying what to do next. A DWN
// status other than 2xx is an error. The exit code is 1 for errors and 2 for usage errors.
//
// # Bench
//
// "dwn bench" is a load generator for any DWN. It creates a fresh did:jwk Ed25519
// identity in memory and uses its DID as the tenant, signs every message before the clock
// starts, then sends N requests from C workers and reports ops/s, latency percentiles,
// errors (transport errors and unexpected DWN statuses), MiB/s of record data and, with
// --server-pid, the server's peak resident memory. The operations are:
//
//	write         N RecordsWrite of --size random bytes (schema https://bench.example/schema,
//	              tag bucket = i%100)
//	read          N RecordsRead of random seeded records
//	query         N RecordsQuery by schema, limit 20
//	query-cursor  N RecordsQuery by schema, limit 20, from a cursor taken from a first page
//	query-tag     N RecordsQuery by schema and tag bucket=7: all matches, 1% of the records
//	protocol-write  N reactions three levels deep (thread/message/reaction) in a protocol,
//	              written by a second identity invoking a context role (thread/participant)
//
// The read and query operations first seed --records records (written like the write
// operation, with C workers). --json prints one JSON object with every number.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}
