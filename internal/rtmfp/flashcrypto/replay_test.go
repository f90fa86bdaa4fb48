package flashcrypto

import "testing"

func TestReplayWindow(t *testing.T) {
	type step struct {
		n    uint64
		want error
	}
	run := func(t *testing.T, steps []step) {
		t.Helper()
		var w replayWindow
		for i, s := range steps {
			err := w.check(s.n)
			if err != s.want {
				t.Fatalf("step %d: check(%d) = %v, want %v", i, s.n, err, s.want)
			}
			if err == nil {
				w.record(s.n)
			}
		}
	}
	t.Run("in order, repeats", func(t *testing.T) {
		run(t, []step{{0, nil}, {1, nil}, {1, ErrReplayed}, {0, ErrReplayed}, {2, nil}})
	})
	t.Run("reorder within window", func(t *testing.T) {
		run(t, []step{{0, nil}, {5, nil}, {3, nil}, {4, nil}, {3, ErrReplayed}, {1, nil}, {2, nil}, {5, ErrReplayed}})
	})
	t.Run("edge at highest 100", func(t *testing.T) {
		// After 100, the reference marks [0, 68] as seen: 68 is too old,
		// 69 is the lowest still acceptable.
		run(t, []step{{100, nil}, {68, ErrSequenceTooOld}, {69, nil}, {69, ErrReplayed}, {0, ErrSequenceTooOld}, {99, nil}})
	})
	t.Run("highest 32 marks nothing", func(t *testing.T) {
		// The reference adds the too-old range only when highest > 32.
		run(t, []step{{32, nil}, {0, nil}, {0, ErrReplayed}, {33, nil}, {1, ErrSequenceTooOld}, {2, nil}})
	})
	t.Run("large jump clears bitmap", func(t *testing.T) {
		run(t, []step{{1, nil}, {1000, nil}, {999, nil}, {968, ErrSequenceTooOld}, {969, nil}, {1000, ErrReplayed}})
	})
	t.Run("jump of 63 and 64 keeps bits right", func(t *testing.T) {
		run(t, []step{{10, nil}, {73, nil}, {42, nil}, {137, nil}, {106, nil}, {106, ErrReplayed}, {105, ErrSequenceTooOld}, {136, nil}})
	})
	t.Run("top of range", func(t *testing.T) {
		max := ^uint64(0)
		run(t, []step{{max, nil}, {max, ErrReplayed}, {max - 31, nil}, {max - 32, ErrSequenceTooOld}})
	})
}
