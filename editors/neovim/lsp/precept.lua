-- Default configuration of the precept language server for Neovim 0.11+, found on
-- 'runtimepath' by vim.lsp.config. With this plugin on 'runtimepath',
-- `vim.lsp.enable("precept")` is enough; require("precept").setup(opts) adds
-- options on top and :PreceptRestart.
return {
  cmd = { "precept", "server" },
  filetypes = { "rust" },
  root_markers = { "precept.toml", "Cargo.toml", ".git" },
  -- Sent as initializationOptions and returned for workspace/configuration:
  -- { rules = { ["<rule-id>"] = "off|hint|info|warning|error" }, diagnostics = { scope = "open"|"workspace" } }
  init_options = {},
  settings = { precept = {} },
}
