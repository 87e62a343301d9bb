// Package dwn is the vocabulary of the dwn-ipfs Decentralized Web Node: DWN messages and
// descriptors as the reference @tbd54566975/dwn-sdk-js 0.5.2 defines them, their CIDs
// (EncodeDagCBOR, ComputeCID), the one error type and its mapping to DWN status codes
// (Error, Kind, StatusOf), and the storage interfaces the engine is written against
// (MessageStore, DataStore) with the filter that queries and subscriptions share
// (Filter.Match).
//
// Implementations live in sibling packages: dwn/node is the message engine, dwn/server
// the HTTP transport, storage/badger the store, and storage/storagetest the suite every
// store must pass.
//
// # Errors
//
// Every failure a client can cause is an *Error whose Kind decides the status code
// (Invalid 400, Unauthorized 401, NotFound 404, Conflict 409, TooLarge 400 in a DWN reply)
// and whose Code is the reference's DwnErrorCode, so that the reply detail reads
// "Code: message" exactly as the reference's. Internal and Unavailable errors are the
// server's own failures; transports answer them with JSON-RPC -32603.
package dwn
