-- Headless test of a baseline in a real Neovim.
--
--   PRECEPT_BIN=/path/to/precept nvim --headless -i NONE -n -u editors/neovim/test/baseline.lua <demo copy>/src/clients.rs
--
-- The demo copy must have a baseline of its findings configured (editors/test.sh
-- runs `precept baseline` and adds `baseline = ...` to its precept.toml). The test
-- adds a function with a new violation and waits until it is the only precept
-- diagnostic in the buffer; then it inserts lines at the top and waits until the
-- same single finding has moved down with its code, the baselined ones still
-- hidden. Exits with :qall! on success and :cquit! on failure.

local here = vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":p:h")
vim.opt.runtimepath:prepend(vim.fn.fnamemodify(here, ":h"))
vim.opt.swapfile = false
vim.opt.shadafile = "NONE"

local support = dofile(here .. "/support.lua")
local bin = os.getenv("PRECEPT_BIN")
require("precept").setup({ cmd = { bin or "precept", "server" } })

local TIMEOUT = support.TIMEOUT
local log = support.logger("nvim baseline")
local wait_for = support.waiter(log)
local precept_diagnostics = support.precept_diagnostics
local NEW_CODE = {
  "",
  "pub fn audit_client() -> reqwest::Client {",
  "    reqwest::Client::new()",
  "}",
}

local function describe(diags)
  local parts = {}
  for _, d in ipairs(diags) do
    table.insert(parts, ("%s@%d"):format(d.code, d.lnum + 1))
  end
  return table.concat(parts, ", ")
end

-- Exactly one precept diagnostic, `missing-timeout` on line `lnum` (0-based).
local function only_finding_on(buf, lnum)
  local diags = precept_diagnostics(buf)
  return #diags == 1 and diags[1].code == "missing-timeout" and diags[1].lnum == lnum
end

local function run()
  local buf = vim.api.nvim_get_current_buf()
  wait_for("the precept client to attach", function()
    return #vim.lsp.get_clients({ bufnr = buf, name = "precept" }) > 0
  end)

  local last = vim.api.nvim_buf_line_count(buf)
  vim.api.nvim_buf_set_lines(buf, last, last, false, NEW_CODE)
  local new_line = last + 2 -- `reqwest::Client::new()`, 0-based
  local ok = vim.wait(TIMEOUT, function()
    return only_finding_on(buf, new_line)
  end, 20)
  if not ok then
    error("expected only the new finding on line " .. (new_line + 1) .. ", got: " .. describe(precept_diagnostics(buf)), 0)
  end
  log("ok: only the new finding is shown")

  vim.api.nvim_buf_set_lines(buf, 0, 0, false, { "// An unrelated edit", "// that shifts every line." })
  ok = vim.wait(TIMEOUT, function()
    return only_finding_on(buf, new_line + 2)
  end, 20)
  if not ok then
    error("after shifting lines, got: " .. describe(precept_diagnostics(buf)), 0)
  end
  log("ok: after a line shift the baselined findings stay hidden")
end

support.run_on_enter(run, log)
