-- Headless end-to-end test of the precept plugin in a real Neovim.
--
--   PRECEPT_BIN=/path/to/precept nvim --headless -i NONE -n -u editors/neovim/test/init.lua <copy of demo>/src/clients.rs
--
-- Opens the file, waits for precept's diagnostics, picks the "Add a 30 s timeout"
-- quick fix through vim.lsp.buf.code_action() (the menu answered by a stub of
-- vim.ui.select), checks the edited buffer and that the finding goes away, then
-- runs :PreceptRestart and waits for the diagnostics to come back. Exits with
-- :qall! on success and :cquit! on failure, so Neovim shuts the server down.

local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here, ":h"))
vim.opt.swapfile = false
vim.opt.shadafile = "NONE"

local support = dofile(here .. "/support.lua")
local bin = os.getenv("PRECEPT_BIN")
-- PRECEPT_NVIM_API=start runs the 0.8-0.10 code path (vim.lsp.start) on a newer Neovim.
local api = os.getenv("PRECEPT_NVIM_API")
if api == "" then
  api = nil
end
require("precept").setup({ cmd = { bin or "precept", "server" }, _api = api })

local FIX = "Add a 30 s timeout"
local INSERTED = ".timeout(Duration::from_secs(30))"

local v = vim.version()
local version = ("%d.%d.%d"):format(v.major, v.minor, v.patch)

local log = support.logger("nvim " .. version .. (api and (", " .. api) or ""))
local wait_for = support.waiter(log)
local precept_diagnostics = support.precept_diagnostics

local function precept_client(buf)
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = buf, name = "precept" })
    or vim.tbl_values(vim.lsp.buf_get_clients(buf))
  for _, client in ipairs(clients) do
    if client.name == "precept" and client.initialized ~= false then
      return client
    end
  end
end

local function finding_on_line(buf, lnum, code)
  for _, d in ipairs(precept_diagnostics(buf)) do
    if d.lnum == lnum and d.code == code then
      return d
    end
  end
end

local function run()
  local buf = vim.api.nvim_get_current_buf()
  local name = vim.api.nvim_buf_get_name(buf)
  if not name:match("clients%.rs$") then
    error("open the demo's src/clients.rs, not " .. name, 0)
  end
  if vim.bo[buf].filetype ~= "rust" then
    error("filetype is '" .. vim.bo[buf].filetype .. "', not rust", 0)
  end

  wait_for("the precept client to attach", function()
    return precept_client(buf) ~= nil
  end)
  local client = precept_client(buf)
  if vim.fn.has("nvim-0.11") == 1 and not api then
    -- The native path: vim.lsp.config merged with lsp/precept.lua, vim.lsp.enable.
    assert(vim.lsp.is_enabled("precept"), "vim.lsp.enable('precept') was not called")
    assert(#vim.api.nvim_get_runtime_file("lsp/precept.lua", false) == 1, "lsp/precept.lua is not on 'runtimepath'")
    assert(vim.lsp.config.precept.cmd[1] == bin, "vim.lsp.config.precept.cmd is not the binary from setup()")
    log("ok: started through vim.lsp.config/vim.lsp.enable")
  end

  -- The builder without .timeout(..) in shipping_client().
  local lnum
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find('Client::builder().user_agent("orders/1.0").build()', 1, true) then
      lnum = i - 1
    end
  end
  assert(lnum, "the demo no longer has shipping_client()")
  wait_for("precept's missing-timeout diagnostic on line " .. (lnum + 1), function()
    return finding_on_line(buf, lnum, "missing-timeout") ~= nil
  end)
  log(("%d precept diagnostics in %s"):format(#precept_diagnostics(buf), vim.fn.fnamemodify(name, ":t")))

  -- The code action menu, answered as a user would: pick the fix by its title.
  local offered = {}
  local picked = false
  vim.ui.select = function(items, _, on_choice)
    local choice
    for i, item in ipairs(items) do
      local action = item.action or item[2] -- 0.10+: { action, ctx }; 0.7-0.9: { client_id, action }
      table.insert(offered, action.title)
      if action.title == FIX and not choice then
        choice = i
      end
    end
    picked = choice ~= nil
    on_choice(choice and items[choice] or nil, choice)
  end
  local d = finding_on_line(buf, lnum, "missing-timeout")
  vim.api.nvim_win_set_cursor(0, { lnum + 1, d.col })
  vim.lsp.buf.code_action()
  wait_for("the code action menu", function()
    return #offered > 0
  end)
  log("offered: " .. table.concat(offered, " | "))
  if not picked then
    error(("%q was not offered"):format(FIX), 0)
  end
  if not vim.tbl_contains(offered, "Suppress `missing-timeout` on this line") then
    error("the suppression action was not offered", 0)
  end
  wait_for("the fix to edit the buffer", function()
    local line = vim.api.nvim_buf_get_lines(buf, lnum, lnum + 1, false)[1]
    return line:find(INSERTED, 1, true) ~= nil
  end)
  local line = vim.api.nvim_buf_get_lines(buf, lnum, lnum + 1, false)[1]
  local expected = '    Client::builder().user_agent("orders/1.0").timeout(Duration::from_secs(30)).build()'
  if line ~= expected then
    error(("line %d is\n  %s\nexpected\n  %s"):format(lnum + 1, line, expected), 0)
  end
  wait_for("the fixed finding to go away", function()
    return finding_on_line(buf, lnum, "missing-timeout") == nil and #precept_diagnostics(buf) > 0
  end)

  vim.cmd("PreceptRestart")
  wait_for("a new precept client after :PreceptRestart", function()
    local now = precept_client(buf)
    return now ~= nil and now.id ~= client.id
  end)
  wait_for("diagnostics from the restarted server", function()
    local now = precept_client(buf)
    if not now then
      return false
    end
    -- Push and pull (0.10+) diagnostics live in different namespaces.
    local ours = {
      [vim.lsp.diagnostic.get_namespace(now.id)] = true,
      [vim.lsp.diagnostic.get_namespace(now.id, true)] = true,
    }
    for _, diag in ipairs(precept_diagnostics(buf)) do
      if ours[diag.namespace] then
        return true
      end
    end
    return false
  end)
end

support.run_on_enter(run, log)
