// Command camchat is a peer-to-peer video chat for up to five people over
// RTMFP. Without arguments it opens the desktop app.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"camchat/assets"
	_ "camchat/internal/locale" // before Fyne reads the locale
)

const usage = `camchat: private video calls for up to five people, peer to peer over RTMFP.

Usage:
  camchat [flags]     open the app
  camchat --version   print the version
  camchat rendezvous  run an introduction server (camchat rendezvous -help)
  camchat headless    join or host a call without a window (camchat headless -help)
  camchat --help      show this help

Flags of the app:
  -config DIR         keep the identity, trust store and settings in DIR
                      (default $XDG_CONFIG_HOME/camchat or ~/.config/camchat;
                      a second copy on one machine needs its own)
  -join ID            call this peer ID or invite once the window is open
  -name NAME          display name (saved in the settings)
  -rendezvous H:P     rendezvous server (saved in the settings; "none" for none)
  -listen ADDR        local UDP address (default: any port)
  -log LEVEL          write diagnostics to stderr: debug, info, warn or error
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, openApp))
}

// run parses the command line; open starts the GUI and returns its exit
// code. run returns the exit code.
func run(args []string, stdout, stderr io.Writer, open func(appOptions, io.Writer) int) int {
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
	var o appOptions
	fs.StringVar(&o.configDir, "config", "", "config directory")
	fs.StringVar(&o.join, "join", "", "peer ID or invite to call at start")
	fs.StringVar(&o.name, "name", "", "display name")
	fs.StringVar(&o.rendezvous, "rendezvous", "", "rendezvous server host:port, or several comma-separated (the nodes of a cluster)")
	fs.StringVar(&o.listen, "listen", "", "local UDP address")
	fs.StringVar(&o.logLevel, "log", "", "diagnostics level on stderr")
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
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "camchat: %v\n", err)
		return 2
	}
	return open(o, stderr)
}
