# One entry point for every chore. The two that matter on a fresh machine:
#   make run    build and launch the desktop app (embedded SQLite store by default)
#   make test   install what is needed and run every check and test
.PHONY: run test dev ui bindings lint fmt bench seed-check deps

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

# A debug build of the app against the Vite dev server, with hot reload of the UI.
dev:
	npm --prefix ui run dev & trap 'kill $$!' EXIT; cargo run -p multipass-desktop --no-default-features

ui:
	npm --prefix ui ci --no-audit --no-fund && npm --prefix ui run build

# Regenerates ui/src/lib/bindings.ts and operations.ts from the Rust transport types and the operation list.
bindings:
	UPDATE_BINDINGS=1 cargo test -p multipass-api --lib _file_is_current

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	npm --prefix ui run lint && npm --prefix ui run check

fmt:
	cargo fmt --all

deps:
	bash scripts/install-system-deps.sh

seed-check:
	bash scripts/check-seed-commands.sh

bench:
	bash scripts/bench.sh
