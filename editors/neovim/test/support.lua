-- Shared pieces of the headless Neovim tests: logging to stderr, waiting with a
-- deadline, precept's diagnostics in a buffer, and running a test once Neovim has
-- started (exiting with :qall! on success and :cquit! on failure, so Neovim shuts
-- the server down either way). Loaded with dofile() by the test scripts.

local M = {}

M.TIMEOUT = tonumber(os.getenv("PRECEPT_TEST_TIMEOUT_MS") or "") or 15000

-- A function that writes "[prefix] message" lines to stderr.
function M.logger(prefix)
  return function(message)
    io.stderr:write("[" .. prefix .. "] " .. message .. "\n")
  end
end

-- A function that waits up to M.TIMEOUT for `predicate`, failing the test with
-- `what` in the message, and logs success.
function M.waiter(log)
  return function(what, predicate)
    if not vim.wait(M.TIMEOUT, predicate, 20) then
      error(("timed out after %d ms waiting for %s"):format(M.TIMEOUT, what), 0)
    end
    log("ok: " .. what)
  end
end

function M.precept_diagnostics(buf)
  return vim.tbl_filter(function(d)
    return d.source == "precept"
  end, vim.diagnostic.get(buf))
end

-- Run `test` once Neovim has entered, then quit with its verdict.
function M.run_on_enter(test, log)
  vim.api.nvim_create_autocmd("VimEnter", {
    once = true,
    callback = function()
      vim.schedule(function()
        local ok, err = pcall(test)
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
end

return M
