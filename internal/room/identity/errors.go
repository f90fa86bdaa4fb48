package identity

import "errors"

// Sentinel errors, for errors.Is. The errors this package returns for a
// file are [*FileError] values whose message is a sentence for the user.
var (
	// ErrUnreadable: the file exists but cannot be read (permissions, or
	// something else in its place, such as a directory).
	ErrUnreadable = errors.New("identity: file unreadable")
	// ErrCorrupt: the file is one of ours but damaged or truncated.
	ErrCorrupt = errors.New("identity: file corrupt")
	// ErrFormat: the file is not the kind of file expected there.
	ErrFormat = errors.New("identity: not a camchat file of this kind")
	// ErrVersion: the file was written by a newer camchat.
	ErrVersion = errors.New("identity: file format too new")
	// ErrInsecure: the file is readable by other users and could not be
	// made private.
	ErrInsecure = errors.New("identity: file readable by other users")
	// ErrWrite: the file or its directory could not be written.
	ErrWrite = errors.New("identity: cannot write file")

	// ErrNoConfigDir: neither XDG_CONFIG_HOME nor HOME names a directory.
	ErrNoConfigDir = errors.New("cannot find your config directory: set HOME or XDG_CONFIG_HOME")

	// ErrCert: a certificate given to the trust store is not the one of
	// the peer ID, or holds no static key.
	ErrCert = errors.New("identity: certificate does not fit the peer ID")
	// ErrBadInvite: a string is neither a peer ID nor an invite. The
	// error's message says why, in words for the person who pasted it.
	ErrBadInvite = errors.New("identity: not a peer ID or invite")
)

// FileError is a problem with one of camchat's files. Its message names the
// file, says what is wrong and what the user can do; Unwrap gives the
// sentinel (ErrCorrupt, …) and the underlying cause, if any.
type FileError struct {
	Path string
	Kind error // one of the sentinels above (fs.ErrNotExist from Load)
	Err  error // the cause (an *fs.PathError, a decoding detail), or nil
	msg  string
}

func (e *FileError) Error() string { return e.msg }

func (e *FileError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// inviteError is a parse failure of ParseInvite: the message alone is what
// the user sees.
type inviteError struct{ msg string }

func (e *inviteError) Error() string { return e.msg }
func (e *inviteError) Unwrap() error { return ErrBadInvite }
