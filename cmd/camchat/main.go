// Command camchat is a peer-to-peer video chat for up to five people over
// RTMFP. Without arguments it opens the desktop app.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"fyne.io/fyne/v2/app"

	"camchat/assets"
	"camchat/internal/gui"
	_ "camchat/internal/locale" // before Fyne reads the locale
)

const usage = `camchat: private video calls for up to five people, peer to peer over RTMFP.

Usage:
  camchat             open the app
  camchat --version   print the version
  camchat rendezvous  run an introduction server (camchat rendezvous -help)
  camchat headless    join or host a call without a window (camchat headless -help)
  camchat --help      show this help
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, openApp))
}

// run parses the command line; open starts the GUI. It returns the exit code.
func run(args []string, stdout, stderr io.Writer, open func()) int {
	if len(args) > 0 && args[0] == "rendezvous" {
		return runRendezvous(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "headless" {
		return runHeadless(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("camchat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The flag package calls Usage for -help as well as for a bad flag;
	// print the help once, on stdout when asked for, on stderr after an
	// error.
	fs.Usage = func() {}
	showVersion := fs.Bool("version", false, "print the version")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprint(stderr, "\n"+usage)
		return 2
	}
	if *showVersion {
		fmt.Fprintf(stdout, "%s %s\n", assets.AppName, assets.Version)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "camchat: unknown command %q\n\n%s", fs.Arg(0), usage)
		return 2
	}
	open()
	return 0
}

func openApp() {
	app.SetMetadata(assets.Metadata())
	a := app.NewWithID(assets.AppID)
	gui.NewMainWindow(a).ShowAndRun()
}
