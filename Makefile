# SAM (`sam build`, which `cfn submit` runs) calls build-<LogicalId> with ARTIFACTS_DIR set.
# The artifact is the esbuild bundle alone: dist/handlers.js and its source map, no node_modules.

build-TypeFunction build-TestEntrypoint:
	npm ci --no-audit --no-fund
	$(MAKE) artifact ARTIFACTS_DIR="$(ARTIFACTS_DIR)"

# The same from an installed node_modules (npm run package uses it).
artifact:
	npm run build
	mkdir -p "$(ARTIFACTS_DIR)/dist"
	cp dist/*.js dist/*.js.map "$(ARTIFACTS_DIR)/dist/"

.PHONY: build-TypeFunction build-TestEntrypoint artifact
