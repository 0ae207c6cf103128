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

local bin = os.getenv("PRECEPT_BIN")
require("precept").setup({ cmd = { bin or "precept", "server" } })

local TIMEOUT = tonumber(os.getenv("PRECEPT_TEST_TIMEOUT_MS") or "") or 15000
local NEW_CODE = {
  "",
  "pub fn audit_client() -> reqwest::Client {",
  "    reqwest::Client::new()",
  "}",
}

local function log(message)
  io.stderr:write("[nvim baseline] " .. message .. "\n")
end

local function wait_for(what, predicate)
  if not vim.wait(TIMEOUT, predicate, 20) then
    error(("timed out after %d ms waiting for %s"):format(TIMEOUT, what), 0)
  end
  log("ok: " .. what)
end

local function precept_diagnostics(buf)
  return vim.tbl_filter(function(d)
    return d.source == "precept"
  end, vim.diagnostic.get(buf))
end

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

vim.api.nvim_create_autocmd("VimEnter", {
  once = true,
  callback = function()
    vim.schedule(function()
      local ok, err = pcall(run)
      if ok then
        log("PASS")
        vim.cmd("qall!")
      else
        log("FAIL: " .. tostring(err))
        vim.cmd("cquit!")
      end
    end)
  end,
})
