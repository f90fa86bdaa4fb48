package flashcrypto_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"

	"camchat/internal/rtmfp/flashcrypto"
)

// A whole Flash-profile key agreement between two camchat peers, as the
// session layer drives it: RHello carries the responder's certificate,
// IIKeying the initiator's certificate and SKIC, RIKeying the SKRC.
func Example() {
	rng := rand.NewChaCha8([32]byte{1}) // use crypto/rand.Reader in real code
	alice, _ := flashcrypto.NewStaticIdentity(rng, []flashcrypto.Group{flashcrypto.Group2}, flashcrypto.CertOptions{})
	bob, _ := flashcrypto.NewStaticIdentity(rng, []flashcrypto.Group{flashcrypto.Group2}, flashcrypto.CertOptions{})

	// Alice opens by Bob's peer ID; Bob's RHello certificate must match it.
	epd, _ := flashcrypto.ParseEPD(flashcrypto.CanonicalEPD(bob.PeerID()))
	bobCert, _ := flashcrypto.ParseCert(bob.Cert().Raw)
	fmt.Println("EPD selects Bob:", epd.Selects(bobCert))

	in, _ := flashcrypto.NewInitiator(alice, bobCert, flashcrypto.DefaultPolicy(), rng)

	// Bob receives IIKeying.
	aliceCert, _ := flashcrypto.ParseCert(alice.Cert().Raw)
	skrc, bobSide, _ := flashcrypto.Respond(bob, aliceCert, in.SKIC(), flashcrypto.DefaultPolicy(), rng)

	// Alice receives RIKeying.
	aliceSide, _ := in.Complete(skrc)

	fmt.Println("HMAC and sequence numbers:", aliceSide.Negotiated.HMACSend && aliceSide.Negotiated.SSEQSend)
	fmt.Println("same code:", flashcrypto.ShortAuthCode(aliceSide.Nonces) == flashcrypto.ShortAuthCode(bobSide.Nonces))

	tx, _ := aliceSide.Cipher()
	rx, _ := bobSide.Cipher()
	clear, err := rx.Open(nil, tx.Seal(nil, []byte("\x09hello")))
	fmt.Println(bytes.HasPrefix(clear, []byte("\x09hello")), err)
	// Output:
	// EPD selects Bob: true
	// HMAC and sequence numbers: true
	// same code: true
	// true <nil>
}
