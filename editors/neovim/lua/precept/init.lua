-- precept for Neovim: start `precept server` for Rust buffers, pass settings
-- through, and offer :PreceptRestart. All lint logic lives in the server.
--
--   require("precept").setup({
--     cmd = { "precept", "server" },        -- or path = "/path/to/precept"
--     settings = { rules = { ["missing-timeout"] = "error" }, diagnostics = { scope = "open" } },
--     on_attach = function(client, bufnr) end,
--   })
--
-- Neovim 0.11+: vim.lsp.config/vim.lsp.enable (the defaults live in lsp/precept.lua);
-- 0.8-0.10: vim.lsp.start per Rust buffer; 0.7: vim.lsp.start_client + buf_attach_client.

local M = {}

M.root_markers = { "precept.toml", "Cargo.toml", ".git" }

local config -- the resolved client configuration, set by setup()
local mode -- "config" (0.11+), "start" (0.8+) or "start_client" (0.7)
local clients = {} -- 0.7 only: client id by root directory

local function has(version)
  return vim.fn.has("nvim-" .. version) == 1
end

local function get_clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = "precept" })
  end
  local found = {}
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == "precept" then
      table.insert(found, client)
    end
  end
  return found
end

-- 0.11+ clients have methods (client:stop()); older ones have closures (client.stop()).
local function call(client, method, ...)
  if has("0.11") then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function notify(message, level)
  vim.schedule(function()
    vim.notify("precept: " .. message, level or vim.log.levels.ERROR)
  end)
end

--- The nearest ancestor directory of `path` that holds one of the root markers;
--- else the file's directory.
local function find_root(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local current = dir
  while true do
    for _, marker in ipairs(M.root_markers) do
      if vim.loop.fs_stat(current .. "/" .. marker) then
        return current
      end
    end
    local parent = vim.fn.fnamemodify(current, ":h")
    if parent == current then
      return dir
    end
    current = parent
  end
end

local function build_config(opts)
  local cmd = opts.cmd or { opts.path or "precept", "server" }
  if opts.log_level then
    cmd = vim.list_extend(vim.deepcopy(cmd), { "--log-level", opts.log_level })
  end
  -- An empty Lua table would go out as a JSON array.
  local settings = (opts.settings and next(opts.settings)) and opts.settings or vim.empty_dict()
  return {
    name = "precept",
    cmd = cmd,
    filetypes = opts.filetypes or { "rust" },
    root_markers = M.root_markers,
    -- initializationOptions for the first analysis; workspace/configuration (section
    -- "precept") is answered from `settings` afterwards.
    init_options = settings,
    settings = { precept = settings },
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
  }
end

local function check_cmd()
  local exe = config.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    notify(
      ("`%s` was not found or is not executable. Install precept (`cargo install --path server` in a "
        .. "precept checkout) or pass `path = '/path/to/precept'` to setup(), then run :PreceptRestart."):format(exe)
    )
    return false
  end
  return true
end

--- Start (or reuse) the client for one buffer, on Neovim 0.7-0.10.
local function attach(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if vim.bo[bufnr].buftype ~= "" or not check_cmd() then
    return
  end
  local root = find_root(name ~= "" and name or vim.fn.getcwd() .. "/")
  local client_config = vim.tbl_extend("force", config, { root_dir = root })
  client_config.root_markers = nil
  client_config.filetypes = nil
  if mode == "start" then
    vim.lsp.start(client_config, { bufnr = bufnr })
    return
  end
  local id = clients[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or call(client, "is_stopped") then
    client_config.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
    id = vim.lsp.start_client(client_config)
    if not id then
      notify("the server failed to start; see :LspLog")
      return
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
end

local function attach_all()
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
      attach(bufnr)
    end
  end
end

function M.setup(opts)
  opts = opts or {}
  config = build_config(opts)
  -- `_api` is for the tests: the older code paths on a newer Neovim.
  mode = opts._api or (has("0.11") and "config") or (vim.lsp.start and "start") or "start_client"
  if mode == "config" then
    local native = vim.deepcopy(config)
    native.name = nil
    vim.lsp.config("precept", native)
    if check_cmd() then
      vim.lsp.enable("precept")
    end
  else
    local group = vim.api.nvim_create_augroup("precept", { clear = true })
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = config.filetypes,
      callback = function(args)
        attach(args.buf)
      end,
    })
    attach_all()
  end
  vim.api.nvim_create_user_command("PreceptRestart", M.restart, { desc = "Restart the precept language server" })
end

--- Stop every precept client, wait for it to exit, and start it again for the
--- Rust buffers.
function M.restart()
  if not config then
    notify("call require('precept').setup() first")
    return
  end
  local running = get_clients()
  for _, client in ipairs(running) do
    call(client, "stop")
  end
  clients = {}
  -- Start again once every old client has exited (forced after 5 s), so that
  -- vim.lsp.start does not reuse a client that is shutting down.
  local timer = vim.loop.new_timer()
  local waited = 0
  timer:start(50, 50, vim.schedule_wrap(function()
    if timer:is_closing() then
      return
    end
    waited = waited + 50
    local alive = vim.tbl_filter(function(client)
      return vim.lsp.get_client_by_id(client.id) ~= nil
    end, running)
    if #alive > 0 and waited < 5000 then
      return
    end
    for _, client in ipairs(alive) do
      call(client, "stop", true)
    end
    timer:stop()
    timer:close()
    if mode == "config" then
      if check_cmd() then
        vim.lsp.enable("precept")
      end
    else
      attach_all()
    end
  end))
end

return M
