# Strata: build, test and demo. `make help` lists the targets.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:/usr/local/sbin:/usr/sbin:$(PATH)

GO        ?= go
BIN       := bin/strata
DEMO_CONF ?= examples/blog/strata.yaml
# Where the demo data goes: the primary until Strata serves, then e.g.
#   make demo-data LOAD_ADDR=127.0.0.1:6033 LOAD_USER=app LOAD_PASSWORD=app
LOAD_ADDR     ?= 127.0.0.1:13306
LOAD_USER     ?= root
LOAD_PASSWORD ?=

# Go files to check with gofmt: everything but VCS, build output, sandbox
# state and testdata (which may hold deliberately odd code).
GO_FILES = $(shell find . -type f -name '*.go' -not -path './.git/*' -not -path './bin/*' \
	-not -path '*/.strata-sandbox/*' -not -path '*/testdata/*')

.PHONY: help build deps test nightly fmt-check vet lint demo demo-data demo-down demo-sharded demo-sharded-down bench clean

help:
	@echo "make build      build $(BIN)"
	@echo "make deps       install MariaDB, PHP (pdo_mysql), sysbench if missing"
	@echo "make test       deps, gofmt check, go vet, go test (needs MariaDB)"
	@echo "make lint       staticcheck (fetched into bin/ on first use; staticcheck.conf)"
	@echo "make nightly    the sharding differential tests at full size (20000 queries, 20000 writes)"
	@echo "make demo       sandbox servers + blog schema/data + strata serve"
	@echo "make demo-down  stop the demo's servers and remove their data"
	@echo "make demo-sharded       the blog sharded over three shards + a table group"
	@echo "make demo-sharded-down  stop its servers and remove their data"
	@echo "make bench      run scripts/bench.sh"

# The source revision `strata version` prints (the toolchain's own VCS
# stamping fails on a checkout another user owns, so it is passed here).
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo +modified)

build:
	$(GO) build -ldflags "-X github.com/strata-proxy/strata/buildinfo.revision=$(REVISION)" -o $(BIN) ./cmd/strata

deps:
	@bash scripts/install-deps.sh

fmt-check:
	@files="$$(gofmt -l $(GO_FILES))"; \
	if [ -n "$$files" ]; then echo "gofmt -l lists (run gofmt -w):"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck from the Go module proxy, pinned; not part of make test, so
# a test run needs no download beyond the module's own.
STATICCHECK_VERSION := v0.8.2
lint:
	@test -x bin/staticcheck || GOBIN=$(CURDIR)/bin $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	bin/staticcheck ./...

test: deps fmt-check vet
	STRATA_REQUIRE_MARIADB=1 $(GO) test -count=1 -timeout 25m ./...

# The sharding differential tests with many more random queries and writes than make test.
nightly: deps
	STRATA_REQUIRE_MARIADB=1 STRATA_DIFF_QUERIES=20000 $(GO) test -count=1 -timeout 60m -run Differential -v ./test/sharding/

demo: deps build
	$(BIN) sandbox up -c $(DEMO_CONF)
	@$(MAKE) --no-print-directory demo-data
	$(BIN) sandbox wait -c $(DEMO_CONF)
	@echo
	@echo "Strata starts below (Ctrl-C stops it; make demo-down stops the servers)."
	@echo "In another terminal:"
	@echo "  mariadb -h127.0.0.1 -P6033 -uapp -papp blog"
	@echo "  (or through Strata's Unix socket: mariadb --socket=.strata-sandbox/strata.sock -uapp -papp blog)"
	@echo "and see where each statement went, and the servers' state:"
	@echo "  $(BIN) queries -c $(DEMO_CONF)     $(BIN) rules -c $(DEMO_CONF)     $(BIN) topology -c $(DEMO_CONF)"
	@echo "  or open http://127.0.0.1:6080/dashboard    (a load balancer would probe http://127.0.0.1:6080/readyz)"
	@echo "move the primary to a replica, losing no committed write (the config file is updated):"
	@echo "  $(BIN) switchover main -to 127.0.0.1:13307 -c $(DEMO_CONF)     $(BIN) switchovers -c $(DEMO_CONF)"
	@echo "restart Strata without a client noticing (the new process takes the sockets and the idle sessions):"
	@echo "  $(BIN) serve -c $(DEMO_CONF)"
	@echo
	$(BIN) serve -c $(DEMO_CONF)

# Schema and sample data; does nothing when the data is already there.
demo-data:
	$(GO) run ./examples/blog/loaddata -addr '$(LOAD_ADDR)' -user '$(LOAD_USER)' -password '$(LOAD_PASSWORD)' \
		-schema examples/blog/schema.sql

demo-down: build
	$(BIN) sandbox down -c $(DEMO_CONF)

demo-sharded: deps build
	bash scripts/demo-sharded.sh

demo-sharded-down: build
	$(BIN) sandbox down -c examples/sharded/strata.yaml

# Proxy overhead: sysbench and Go benchmarks against a replica, directly and
# through Strata; rewrites docs/BENCHMARKS.md (about 15 minutes).
bench: deps
	bash scripts/bench.sh

clean:
	rm -rf bin
