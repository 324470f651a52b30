package xpay

// PeekLimit is peekLimit, for FuzzXPayRefusalPeek in refusal_fuzz_test.go,
// which checks DefaultRefused with sourcetest (a package that imports
// this one).
const PeekLimit = peekLimit
