package main

import (
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/app"

	"camchat/assets"
	"camchat/internal/gui"
	"camchat/internal/media/audio"
	"camchat/internal/media/video"
	"camchat/internal/room"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// appOptions are the app's flags.
type appOptions struct {
	configDir  string
	join       string
	name       string
	rendezvous string
	listen     string
	logLevel   string
}

func (o appOptions) check() error {
	if o.join != "" {
		if err := room.ValidateTarget(o.join); err != nil {
			return fmt.Errorf("-join: %w", err)
		}
	}
	if o.logLevel != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(o.logLevel)); err != nil {
			return fmt.Errorf("-log %q: use debug, info, warn or error", o.logLevel)
		}
	}
	return nil
}

// appEnv is what the window needs from the machine: files, sound, cameras.
type appEnv struct {
	dir      string
	id       *flashcrypto.Identity
	trust    *identity.Trust
	settings gui.Settings
	audio    *audio.Context
	logger   *slog.Logger
}

// loadAppEnv reads the identity, trust store and settings from the config
// directory and opens the sound system (none is fine: the room then uses
// the synthetic microphone and a silent speaker).
func loadAppEnv(o appOptions, stderr io.Writer) (*appEnv, error) {
	e := &appEnv{logger: slog.New(slog.DiscardHandler)}
	if o.logLevel != "" {
		var l slog.Level
		_ = l.UnmarshalText([]byte(o.logLevel))
		e.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l}))
	}
	e.dir = o.configDir
	if e.dir == "" {
		d, err := identity.DefaultDir()
		if err != nil {
			return nil, err
		}
		e.dir = d
	}
	id, created, err := identity.LoadOrCreate(filepath.Join(e.dir, identity.IdentityFile))
	if err != nil {
		return nil, err
	}
	e.id = id
	if created {
		e.logger.Info("new identity", "dir", e.dir)
	}
	if e.trust, err = identity.OpenTrust(filepath.Join(e.dir, identity.TrustFile)); err != nil {
		return nil, err
	}
	if e.settings, err = gui.LoadSettings(filepath.Join(e.dir, gui.SettingsFile)); err != nil {
		return nil, err
	}
	if o.name != "" {
		e.settings.Name = o.name
	}
	switch o.rendezvous {
	case "":
	case "none":
		e.settings.Rendezvous = ""
	default:
		e.settings.Rendezvous = o.rendezvous
	}
	if e.settings.Name == "" {
		e.settings.Name = defaultName()
	}
	if o.name != "" || o.rendezvous != "" {
		if err := gui.SaveSettings(filepath.Join(e.dir, gui.SettingsFile), e.settings); err != nil {
			e.logger.Warn("settings not saved", "err", err)
		}
	}
	if ctx, err := audio.NewContext(audio.ModeAuto); err != nil {
		e.logger.Warn("no sound system: synthetic microphone and silent speaker", "err", err)
	} else {
		e.audio = ctx
	}
	e.settings = soundFallback(e.settings, e.audio)
	return e, nil
}

// soundFallback picks the synthetic microphone or speaker where the sound
// system lists none (no sound card), so the call still works.
func soundFallback(s gui.Settings, ctx *audio.Context) gui.Settings {
	if ctx == nil {
		return s
	}
	if mics, err := ctx.Devices(audio.Microphone); err == nil && len(mics) == 0 && s.Microphone == "" {
		s.Microphone = room.Synthetic
	}
	if spk, err := ctx.Devices(audio.Speaker); err == nil && len(spk) == 0 && s.Speaker == "" {
		s.Speaker = room.Synthetic
	}
	return s
}

// defaultName is the login name, capitalised, until the user picks one.
func defaultName() string {
	if u, err := user.Current(); err == nil {
		n := u.Name
		if i := strings.IndexByte(n, ','); i >= 0 {
			n = n[:i]
		}
		if n == "" {
			n = u.Username
		}
		if n != "" {
			return strings.ToUpper(n[:1]) + n[1:]
		}
	}
	return "camchat user"
}

// deviceLists lists cameras and sound devices for the settings.
func (e *appEnv) deviceLists() gui.DeviceLists {
	var l gui.DeviceLists
	for _, c := range video.List() {
		name := c.Name
		if c.Err != nil {
			name += " (unavailable)"
		}
		l.Cameras = append(l.Cameras, gui.DeviceChoice{ID: c.Path, Name: name + " (" + c.Path + ")"})
	}
	if e.audio != nil {
		if ds, err := e.audio.Devices(audio.Microphone); err == nil {
			for _, d := range ds {
				l.Microphones = append(l.Microphones, gui.DeviceChoice{ID: string(d.ID), Name: d.Name})
			}
		}
		if ds, err := e.audio.Devices(audio.Speaker); err == nil {
			for _, d := range ds {
				l.Speakers = append(l.Speakers, gui.DeviceChoice{ID: string(d.ID), Name: d.Name})
			}
		}
	}
	return l
}

// openApp opens the window and runs until it is closed.
func openApp(o appOptions, stderr io.Writer) int {
	e, err := loadAppEnv(o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "camchat: %v\n", err)
		return 1
	}
	if e.audio != nil {
		defer e.audio.Close()
	}
	app.SetMetadata(assets.Metadata())
	a := app.NewWithID(assets.AppID)
	idPath := filepath.Join(e.dir, identity.IdentityFile)
	ui, err := gui.New(a, gui.Config{
		Room: room.Config{
			Identity: e.id,
			Audio:    e.audio,
			Trust:    e.trust,
			Listen:   o.listen,
			Logger:   e.logger,
		},
		Settings: e.settings,
		SaveSettings: func(s gui.Settings) error {
			return gui.SaveSettings(filepath.Join(e.dir, gui.SettingsFile), s)
		},
		NewIdentity: func() (*flashcrypto.Identity, string, error) {
			id, backup, err := identity.Rotate(idPath)
			if err != nil {
				return nil, "", err
			}
			msg := ""
			if backup != "" {
				msg = "The old identity is kept in " + backup + "."
			}
			return id, msg, nil
		},
		Devices: e.deviceLists,
		Logger:  e.logger,
	})
	if err != nil {
		fmt.Fprintf(stderr, "camchat: %v\n", err)
		return 1
	}
	w := ui.Window()
	if o.join != "" {
		ui.JoinAtStart(o.join)
	}
	w.ShowAndRun()
	ui.Close()
	return 0
}
