# The README's promise: a console where `/pm help` and `/guide rollout`
# answer, through a pipe, ending cleanly at end of input.
. "$(dirname "$0")/lib.bash"
start_redis
start_bot
say "/pm help"
expect "/guide"
expect "/brief"
say "/guide rollout"
expect "[Rr]ollout"
mark
say "/pm guide experiment"
expect_new "control"
mark
say "/gide"
expect_new 'unknown command "gide"; did you mean "guide"'
mark
say 'guide "unbalanced'
expect_new "unbalanced quote"
stop_bot || fail "exit status $? at end of input, expected 0"
echo "ok: help, guide, umbrella, suggestions and errors answered; clean exit"
