package turn

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// slogFactory hands pion's code loggers that write to a slog.Logger
// (trace goes to debug).
type slogFactory struct{ l *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{f.l.With("scope", scope)}
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(lv slog.Level, msg string) {
	s.l.Log(context.Background(), lv, msg)
}

func (s slogLogger) Trace(msg string) { s.log(slog.LevelDebug-4, msg) }
func (s slogLogger) Tracef(format string, args ...any) {
	s.log(slog.LevelDebug-4, fmt.Sprintf(format, args...))
}
func (s slogLogger) Debug(msg string) { s.log(slog.LevelDebug, msg) }
func (s slogLogger) Debugf(format string, args ...any) {
	s.log(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (s slogLogger) Info(msg string) { s.log(slog.LevelInfo, msg) }
func (s slogLogger) Infof(format string, args ...any) {
	s.log(slog.LevelInfo, fmt.Sprintf(format, args...))
}
func (s slogLogger) Warn(msg string) { s.log(slog.LevelWarn, msg) }
func (s slogLogger) Warnf(format string, args ...any) {
	s.log(slog.LevelWarn, fmt.Sprintf(format, args...))
}
func (s slogLogger) Error(msg string) { s.log(slog.LevelError, msg) }
func (s slogLogger) Errorf(format string, args ...any) {
	s.log(slog.LevelError, fmt.Sprintf(format, args...))
}

func loggerOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
