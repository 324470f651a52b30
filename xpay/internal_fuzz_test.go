package xpay

import "github.com/loginauth/loginauth/internal/peek"

// PeekLimit bounds the body that DefaultRefused reads, and the body
// declared long that it does not read at all, for FuzzXPayRefusalPeek in
// refusal_fuzz_test.go, which checks DefaultRefused with sourcetest (a
// package that imports this one).
const PeekLimit = peek.Limit
