// Package conformance replays vectors recorded from the reference DWN
// (@tbd54566975/dwn-sdk-js 0.5.2, served by @web5/dwn-server 0.6.1) against dwnd. The
// vectors are made by gen-vectors.mjs and proven against the reference server by
// check-reference.sh; see README.md.
package conformance
