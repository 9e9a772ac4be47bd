-- Sample filter: bob may read mail over IMAP but not over POP3, even with the right password.
function nauthilus_call_filter(request)
  if request.no_auth then
    return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK
  end

  -- honour the backend's result unless we want to change it
  if not request.authenticated then
    return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK
  end

  if request.account == "bob@example.com" and request.protocol == "pop3" then
    nauthilus_builtin.custom_log_add("protocol_policy", "pop3 denied")
    nauthilus_builtin.status_message_set("POP3 is not allowed for this account")
    return nauthilus_builtin.FILTER_REJECT, nauthilus_builtin.FILTER_RESULT_OK
  end

  return nauthilus_builtin.FILTER_ACCEPT, nauthilus_builtin.FILTER_RESULT_OK
end
