namespace Orchestra.Agents.Tests.ClaudeCode;

/// <summary>Output lines recorded from Claude Code 2.1.197 running against the fake provider (trimmed of fields Orchestra ignores).</summary>
internal static class Recorded
{
    public const string Init =
        """{"type":"system","subtype":"init","cwd":"/tmp/w","session_id":"fbf77d7e-f895-46fb-b1fe-a96dc06371cb","tools":["Bash","Edit","Read","Write"],"mcp_servers":[],"model":"fake-model","permissionMode":"default","apiKeySource":"ANTHROPIC_API_KEY","claude_code_version":"2.1.197","uuid":"43e964bc-1a14-4a2a-9075-dd31b5427b2c"}""";

    public const string ToolUse =
        """{"type":"assistant","message":{"id":"msg_fake000002","type":"message","role":"assistant","model":"fake-model","content":[{"type":"tool_use","id":"toolu_fake000003","name":"Write","input":{"file_path":"/tmp/w/hello.txt","content":"hi\n"},"caller":{"type":"direct"}}],"stop_reason":null,"usage":{"input_tokens":21716,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}},"parent_tool_use_id":null,"session_id":"fbf77d7e-f895-46fb-b1fe-a96dc06371cb","uuid":"db2f5419-f1a9-44ad-9df6-02ac730da704"}""";

    public const string HookCallback =
        """{"type":"control_request","request_id":"79ae4cab-6e05-49c4-a843-3c5435ec1b5e","request":{"subtype":"hook_callback","callback_id":"orchestra_pre_tool_use","input":{"session_id":"fbf77d7e-f895-46fb-b1fe-a96dc06371cb","cwd":"/tmp/w","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"/tmp/w/hello.txt","content":"hi\n"},"tool_use_id":"toolu_fake000003"},"tool_use_id":"toolu_fake000003"}}""";

    public const string CanUseTool =
        """{"type":"control_request","request_id":"914b2b39-9330-4488-9629-aa8f79658235","request":{"subtype":"can_use_tool","tool_name":"Write","display_name":"Write","input":{"file_path":"/tmp/w/hello.txt","content":"hi\n"},"description":"hello.txt","permission_suggestions":[{"type":"setMode","mode":"acceptEdits","destination":"session"}],"tool_use_id":"toolu_fake000003"}}""";

    public const string ToolResult =
        """{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_fake000003","type":"tool_result","content":"File created successfully at: /tmp/w/hello.txt"}]},"parent_tool_use_id":null,"session_id":"fbf77d7e-f895-46fb-b1fe-a96dc06371cb","uuid":"52396f0f-71c6-4298-b85d-237350cb6bb1","timestamp":"2026-11-22T07:03:51.068Z","tool_use_result":{"type":"create","filePath":"/tmp/w/hello.txt","content":"hi\n"}}""";

    public const string DeniedToolResult =
        """{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"this agent is read-only","is_error":true,"tool_use_id":"toolu_fake000003"}]},"parent_tool_use_id":null,"session_id":"fbf77d7e-f895-46fb-b1fe-a96dc06371cb","uuid":"3d970f2c-c7f1-4acb-a985-843bf232f69b"}""";

    public const string AssistantText =
        """{"type":"assistant","message":{"id":"msg_fake000004","type":"message","role":"assistant","model":"fake-model","content":[{"type":"text","text":"Done writing."}],"stop_reason":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}},"parent_tool_use_id":null,"session_id":"fbf77d7e-f895-46fb-b1fe-a96dc06371cb","uuid":"2252d54d-9e4b-4783-8421-85d549a794de"}""";

    public const string Thinking =
        """{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"The user wants a file.","signature":"abc"}]},"parent_tool_use_id":null,"session_id":"s1","uuid":"u1"}""";

    public const string TextDelta =
        """{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello "}},"session_id":"77c64dd3-4d03-45e0-b94a-df6d3bda418d","parent_tool_use_id":null,"uuid":"f7cb6050-02c6-49b2-a142-50bcefbbc510"}""";

    public const string MessageStart =
        """{"type":"stream_event","event":{"type":"message_start","message":{"id":"msg_fake000002","type":"message","role":"assistant","model":"fake-model","content":[]}},"session_id":"77c64dd3","parent_tool_use_id":null,"uuid":"x"}""";

    public const string Status =
        """{"type":"system","subtype":"status","status":"requesting","uuid":"4dedb078-bc52-459c-a6fb-928adb5abfe1","session_id":"77c64dd3-4d03-45e0-b94a-df6d3bda418d"}""";

    public const string ApiRetry =
        """{"type":"system","subtype":"api_retry","attempt":1,"max_retries":10,"retry_delay_ms":512.5994202427132,"error_status":529,"error":"overloaded","session_id":"b561016e","uuid":"fb8829ea"}""";

    public const string Success =
        """{"type":"result","subtype":"success","is_error":false,"api_error_status":null,"duration_ms":197,"duration_api_ms":92,"num_turns":2,"result":"Done writing.","stop_reason":"end_turn","session_id":"fbf77d7e-f895-46fb-b1fe-a96dc06371cb","total_cost_usd":0.109605,"usage":{"input_tokens":21816,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":21,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":0},"service_tier":"standard"},"modelUsage":{"fake-model":{"inputTokens":21816,"outputTokens":21,"costUSD":0.109605}},"permission_denials":[],"terminal_reason":"completed","uuid":"7ff31767-7c67-41e9-8628-b36493e374ea"}""";

    public const string BadRequest =
        """{"type":"result","subtype":"success","is_error":true,"api_error_status":400,"duration_ms":126,"duration_api_ms":0,"num_turns":1,"result":"Prompt is too long","stop_reason":"stop_sequence","session_id":"d8ef63fb-ceb4-48fc-926f-776be88ab98a","total_cost_usd":0,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0},"modelUsage":{},"permission_denials":[],"terminal_reason":"prompt_too_long","uuid":"52d98cf8"}""";

    public const string Overloaded =
        """{"type":"result","subtype":"success","is_error":true,"api_error_status":529,"duration_ms":173183,"duration_api_ms":0,"num_turns":1,"result":"API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.","stop_reason":"stop_sequence","session_id":"b561016e-a677-44e0-9ac5-8ec9417a7b2b","total_cost_usd":0,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0},"permission_denials":[],"uuid":"4a06b971"}""";

    public const string Interrupted =
        """{"type":"result","subtype":"error_during_execution","duration_ms":103,"duration_api_ms":0,"is_error":true,"num_turns":2,"stop_reason":null,"session_id":"8eecd914-4406-4c55-b1cd-6cd3c91e01d3","total_cost_usd":0,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0},"permission_denials":[],"terminal_reason":"aborted_streaming","errors":["[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=null"]}""";

    public const string MaxTurns =
        """{"type":"result","subtype":"error_max_turns","duration_ms":900,"is_error":true,"num_turns":3,"session_id":"s2","total_cost_usd":0.02,"usage":{"input_tokens":300,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":30}}""";
}
