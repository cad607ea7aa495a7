build-TypeFunction:
	npx npm ci
	npx npm run build
	cp -R dist node_modules package.json $(ARTIFACTS_DIR)/
