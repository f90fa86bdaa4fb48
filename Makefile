# camchat: `make run` opens the app, `make test` runs every test and the lint.
# Both first install the system packages that are missing (scripts/deps.sh).

GO         ?= go
# gles: Fyne on OpenGL ES (builds ~4x faster than desktop GL and runs on the
# same Mesa drivers); nolibopusfile: we use libopus only, not libopusfile.
TAGS       := gles nolibopusfile
STATICCHECK_VERSION := v0.8.2
BIN        := $(CURDIR)/bin
export LANG ?= en_US.UTF-8
export GOTOOLCHAIN ?= auto

.PHONY: all build run test lint bench fuzz go deps deps-test clean package demo

all: build

# Go must be there; system packages are installed by deps.sh.
go:
	@command -v $(GO) >/dev/null 2>&1 || { \
	  echo "camchat: Go is not installed. Install Go 1.26 or newer from https://go.dev/dl/ and retry." >&2; exit 1; }

deps: go
	@scripts/deps.sh build

deps-test: go
	@scripts/deps.sh test

build: deps
	$(GO) build -tags '$(TAGS)' -o $(BIN)/camchat ./cmd/camchat

run: build
	$(BIN)/camchat

# A Linux archive (binary, .desktop file, icon) made by Fyne's packager from
# FyneApp.toml and assets/. The packager bumps the build number in
# FyneApp.toml; the file is put back as it was (assets.Build must match it).
FYNE_TOOLS := fyne.io/tools/cmd/fyne@v1.7.4
package: build
	cp FyneApp.toml $(BIN)/FyneApp.toml.orig
	$(GO) run $(FYNE_TOOLS) package --os linux --exe $(BIN)/camchat --release; \
	  st=$$?; mv $(BIN)/FyneApp.toml.orig FyneApp.toml; exit $$st
	mv camchat.tar.xz $(BIN)/camchat-linux-amd64.tar.xz
	@echo "camchat: $(BIN)/camchat-linux-amd64.tar.xz (tar xf it, then: sudo make -C camchat install)"

# The app in a call with two headless participants (test pattern and tone).
demo: build
	scripts/demo.sh $(BIN)/camchat

# The protocol packages must stay pure Go: test them with cgo off, then again
# under the race detector (which needs cgo): they are the most concurrent code.
test: deps-test lint
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 10m ./internal/rtmfp/...
	$(GO) test -count=1 -timeout 10m -race ./internal/rtmfp/...
	$(GO) test -count=1 -timeout 10m -tags '$(TAGS)' $$($(GO) list -tags '$(TAGS)' ./... | grep -v /internal/rtmfp)

lint: deps-test $(BIN)/staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags '$(TAGS)' ./...
	$(BIN)/staticcheck -tags '$(TAGS)' ./...

$(BIN)/staticcheck: | go
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

bench: deps-test
	$(GO) test -run '^$$' -bench . -benchmem -tags '$(TAGS)' ./...
	# The real-link scene (network namespaces and tbf; needs root).
	CAMCHAT_REALLINK=1 $(GO) test -run '^$$' -bench RealLink -benchtime 1x -timeout 30m ./internal/rtmfp/tc/
	# The rendezvous under the attacks of a review (namespaces, raw sockets; root).
	CAMCHAT_FLOOD=1 $(GO) test -run '^$$' -bench Flood -benchtime 1x -timeout 30m ./internal/rtmfp/rendezvous/
	@scripts/deps.sh bench
	$(GO) run -tags '$(TAGS) webrtcapm' ./internal/media/aec/speechbench

clean:
	rm -rf $(BIN)
