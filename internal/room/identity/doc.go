// Package identity keeps what makes a camchat user recognisable across
// restarts, and what they decided about others:
//
//   - the identity file: one static-key identity whose peer ID (SHA-256 of
//     the certificate's canonical part, RFC 7425 §4.3.2) stays the same
//     until the user asks for a new one ([LoadOrCreate], [Load], [Rotate]);
//   - the trust store: per peer ID, the verdict the user gave after
//     comparing the short authentication code ("they match" or "they
//     differ"), with that peer's key digest and display name ([Trust]), and
//     the rules for what to say when a peer appears ([Trust.Check]);
//   - invites: a peer ID with address hints and an optional rendezvous
//     server, as a string people paste ([ParseInvite], [FormatInvite],
//     [LocalAddrs]).
//
// Files live in [DefaultDir]. Both files are written atomically (a
// temporary file in the same directory, fsync, rename) with mode 0600 in a
// directory created with mode 0700. A file this package cannot read or
// decode is never replaced: the error names the file and says what to do
// (errors.Is with [ErrUnreadable], [ErrCorrupt], [ErrFormat] or
// [ErrVersion]; errors.As with [*FileError] for the path). A file whose mode
// lets other users read it is narrowed to 0600 when it is loaded (the key
// in it may already have been seen, but it stops being exposed; the user
// may still choose [Rotate]); when that fails the load fails with
// [ErrInsecure].
//
// Goroutine model: the package starts no goroutines. The functions on
// files may run concurrently (creation never replaces a file another
// process created first). A [Trust] is safe for concurrent use: Set and
// Forget are serialised and hold a mutex across the file write; Check and
// the other readers use an immutable snapshot and never wait for them.
// One process per directory is
// assumed for the trust store: two processes sharing it each keep their
// own copy in memory and the last writer wins.
package identity
