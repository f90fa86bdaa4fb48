package turn

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"time"
)

// Realm is the TURN realm of camchat's relays.
const Realm = "camchat"

// Credentials are what a client needs to allocate on a relay.
type Credentials struct {
	Username, Password string
	// Expires is when the server stops accepting them (zero: never).
	Expires time.Time
}

// RESTCredentials returns credentials for user valid until now+ttl under
// secret (draft-uberti-behave-turn-rest-00 §2.2): username
// "<expiry unix seconds>:<user>", password base64(HMAC-SHA1(secret,
// username)).
func RESTCredentials(secret, user string, now time.Time, ttl time.Duration) Credentials {
	exp := now.Add(ttl)
	u := fmt.Sprintf("%d:%s", exp.Unix(), user)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(u))
	return Credentials{Username: u, Password: base64.StdEncoding.EncodeToString(mac.Sum(nil)), Expires: exp}
}
