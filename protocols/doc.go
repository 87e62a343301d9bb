// Package protocols holds the DWN protocol rules: protocol definitions as
// ProtocolsConfigure carries them, their validation, and the rule engine that decides
// which protocol records may be written, read, queried and deleted, by whom — exactly as
// the reference implementation (@tbd54566975/dwn-sdk-js 0.5.2) decides it
// (dwn-protocol.md §5.5, §7, §9).
package protocols
