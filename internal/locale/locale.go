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
// C or POSIX locale (C.UTF-8 included); other locales are left alone. It also
// drops C and POSIX entries from LANGUAGE (a colon-separated list, which
// Fyne's locale reader prefers once the others name a real locale, and
// whose "C.UTF-8" it cannot parse either), unsetting it when none remain.
func Plain() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if isC(os.Getenv(k)) {
			os.Setenv(k, "en_US.UTF-8")
		}
	}
	if v, ok := os.LookupEnv("LANGUAGE"); ok {
		var keep []string
		for _, l := range strings.Split(v, ":") {
			if l != "" && !isC(l) {
				keep = append(keep, l)
			}
		}
		if len(keep) == 0 {
			os.Unsetenv("LANGUAGE")
		} else {
			os.Setenv("LANGUAGE", strings.Join(keep, ":"))
		}
	}
}

// isC reports whether a locale name is the C or POSIX locale, with or
// without a codeset ("C.UTF-8", "C.utf8").
func isC(l string) bool {
	base, _, _ := strings.Cut(l, ".")
	return base == "C" || base == "POSIX"
}
