package loginauth

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// maxJWT bounds the tokens whose claims are decoded.
const maxJWT = 16 << 10

// jwtExpiry returns the exp claim of a JWT, decoded without verifying the
// signature: it is used only to schedule renewals. It reports false when
// token is not a JWT or has no usable exp claim (missing, not a number,
// negative, or beyond year 9999).
func jwtExpiry(token string) (time.Time, bool) {
	if len(token) > maxJWT || strings.Count(token, ".") != 2 {
		return time.Time{}, false
	}
	payload := token[strings.IndexByte(token, '.')+1 : strings.LastIndexByte(token, '.')]
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"` // a JSON number (RFC 7519's NumericDate), never a string
	}
	if json.Unmarshal(b, &claims) != nil || claims.Exp == nil {
		return time.Time{}, false
	}
	f := *claims.Exp
	const maxUnix = 253402300799 // 9999-12-31T23:59:59Z
	if math.IsNaN(f) || f < 1 || f > maxUnix {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}
