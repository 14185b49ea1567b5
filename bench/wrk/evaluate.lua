-- POST an SDK evaluation with a fresh user id per request (so bucketing does real work).
-- EVAL_PATH: the path; EVAL_AUTH: the SDK key, sent raw in Authorization like the Togglr SDKs.
local path = os.getenv("EVAL_PATH") or "/sdk/v1/features/bench_flag/evaluate"
local headers = { ["Content-Type"] = "application/json" }
local auth = os.getenv("EVAL_AUTH")
if auth and auth ~= "" then headers["Authorization"] = auth end
local counter = 0
local thread_id = 0

function setup(thread)
    thread:set("thread_id", thread_id)
    thread_id = thread_id + 1
end

function request()
    counter = counter + 1
    local body = string.format(
        '{"user.id":"u%d-%d","country":"US","plan":"free","app_version":"2.3.1"}', thread_id, counter)
    return wrk.format("POST", path, headers, body)
end
