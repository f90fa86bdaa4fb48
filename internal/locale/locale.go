// Package locale replaces the POSIX "C" locale in the environment with US
// English before Fyne reads it. Fyne parses the locale in a package init and
// complains on every start when it is "C" (language: tag is not well-formed);
// Go initializes this package first because it imports no Fyne package and
// its path sorts before fyne.io/… (Go spec, package initialization). Import
// it for its side effect from main.
package locale

import (
	"os"
	"strings"
)

func init() { Plain() }

// Plain sets LC_ALL, LC_MESSAGES and LANG to en_US.UTF-8 where they name the
// C or POSIX locale; other locales are left alone.
func Plain() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		base, _, _ := strings.Cut(os.Getenv(k), ".")
		if base == "C" || base == "POSIX" {
			os.Setenv(k, "en_US.UTF-8")
		}
	}
}
