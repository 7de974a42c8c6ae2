"""openai-python's view of a replayed answer.

The recorded answer is served through an httpx2 MockTransport (openai 3.x
takes an `httpx2.Client` as http_client) to the SDK's own calls: responses
create / stream + get_final_response(), chat completions create / stream +
get_final_completion(), models.list, and the stored-state calls (responses
retrieve / delete / cancel / input_items.list / input_tokens.count / compact,
conversations and their items; ids from the path, options from the query).
No retries: each call sees the answer
once. One SDK client per thread; the transport answers with that thread's
replay. `parsed`: json.loads of the text the SDK exposes (output_text,
message content) when the request asks for JSON (json_schema, json_object);
a text that is not JSON is `parse_error` (sdk_common.with_parsed)."""

from __future__ import annotations

from importlib.util import find_spec

from .sdk_common import MockServedViews, call_kwargs, raised, with_parsed

NAME = "openai-python"
_TERMINALS = ("response.completed", "response.incomplete", "response.failed")


def installed() -> bool:
    return find_spec("openai") is not None and find_spec("httpx2") is not None


class OpenAIPythonViews(MockServedViews):
    http_module = "httpx2"  # openai 3.x takes an httpx2.Client as http_client

    def __init__(self):
        import openai

        super().__init__()
        self.version = openai.__version__

    def make_client(self, answer):
        import httpx2
        import openai

        return openai.OpenAI(api_key="rc-client-replay", base_url="http://replay.invalid/v1", max_retries=0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(answer)))

    def call(self, client, replay: dict) -> dict:
        operation = replay["operation"]
        if operation in STATE_OPERATIONS:
            return STATE_OPERATIONS[operation](client, replay)
        return _OPERATIONS[operation](client, replay.get("request"))

    def raised_view(self, exc: Exception) -> dict:
        return _raised_view(exc)


def _raised_view(exc: Exception) -> dict:
    import openai

    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        return {"raised": raised(exc, status=exc.status_code, api_error=True, code=error.get("code")),
                "values": {}}
    return {"raised": raised(exc, status=None, api_error=False), "values": {}}


def _response_values(response, request) -> dict:
    usage = response.usage
    calls = [{"name": item.name, "arguments": item.arguments, "call_id": item.call_id}
             for item in response.output if item.type == "function_call"]
    text = response.output_text
    values = {"id": response.id, "status": response.status, "output_text": text, "function_calls": calls,
              "usage": None if usage is None else {"input_tokens": usage.input_tokens,
                                                   "output_tokens": usage.output_tokens,
                                                   "total_tokens": usage.total_tokens}}
    return with_parsed(values, text, request, chat=False)


def _responses_create(client, request) -> dict:
    return _response_values(client.responses.create(**call_kwargs(request)), request)


def _responses_stream(client, request) -> dict:
    """As a user drives it: iterate the events; a completed stream's answer is
    get_final_response(), an incomplete or failed one's the terminal's snapshot."""
    with client.responses.stream(**call_kwargs(request, "input", "model")) as stream:
        terminal = None
        for event in stream:
            if event.type in _TERMINALS:
                terminal = event
        if terminal is None or terminal.type == "response.completed":
            final = stream.get_final_response()
        else:
            final = terminal.response
    return _response_values(final, request)


def _chat_values(completion, request) -> dict:
    choice = completion.choices[0]
    message = choice.message
    usage = completion.usage
    calls = [{"name": call.function.name, "arguments": call.function.arguments, "id": call.id}
             for call in message.tool_calls or ()]
    values = {"id": completion.id, "chat_content": message.content, "chat_tool_calls": calls,
              "finish_reason": choice.finish_reason,
              "chat_usage": None if usage is None else {"prompt_tokens": usage.prompt_tokens,
                                                        "completion_tokens": usage.completion_tokens,
                                                        "total_tokens": usage.total_tokens}}
    return with_parsed(values, message.content, request, chat=True)


def _chat_create(client, request) -> dict:
    return _chat_values(client.chat.completions.create(**call_kwargs(request, "messages", "model")), request)


def _chat_stream(client, request) -> dict:
    with client.chat.completions.stream(**call_kwargs(request, "messages", "model")) as stream:
        for _ in stream:
            pass
        completion = stream.get_final_completion()
    return _chat_values(completion, request)


def _models_list(client, request) -> dict:
    return {"model_ids": [model.id for model in client.models.list().data]}


_OPERATIONS = {"responses.create": _responses_create, "responses.stream": _responses_stream,
               "chat.completions.create": _chat_create, "chat.completions.stream": _chat_stream,
               "models.list": _models_list}


# -- the stored-state calls: ids from the replay's path, list options from its query ---------------------
def _options(replay, *names: str) -> dict:
    query = replay.get("query") or {}
    options = {name: query[name] for name in names if name in query}
    if isinstance(options.get("include"), str):
        options["include"] = [options["include"]]
    if isinstance(options.get("limit"), str) and options["limit"].isdigit():
        options["limit"] = int(options["limit"])
    return options


def _page_values(page) -> dict:
    """One page as a user reads it (no auto-paging: the next page is another answer)."""
    return {"item_ids": [getattr(item, "id", None) for item in page.data],
            "has_more": getattr(page, "has_more", None)}


def _conversation_values(conversation) -> dict:
    return {"id": conversation.id, "metadata": conversation.metadata}


def _responses_retrieve(client, replay):
    response_id = replay["params"]["response_id"]
    return _response_values(client.responses.retrieve(response_id, **_options(replay, "include")),
                            replay.get("request"))


def _responses_delete(client, replay):
    client.responses.delete(replay["params"]["response_id"])
    return {}  # the SDK returns nothing: that it did not raise is the view


def _responses_cancel(client, replay):
    return _response_values(client.responses.cancel(replay["params"]["response_id"]), replay.get("request"))


def _input_items(client, replay):
    return _page_values(client.responses.input_items.list(
        replay["params"]["response_id"], **_options(replay, "after", "limit", "order", "include")))


def _input_tokens(client, replay):
    return {"input_tokens": client.responses.input_tokens.count(**call_kwargs(replay.get("request"))).input_tokens}


def _compact(client, replay):
    compacted = client.responses.compact(**call_kwargs(replay.get("request"), "model"))
    return {"id": compacted.id, "output_types": [item.type for item in compacted.output]}


def _conversation_create(client, replay):
    return _conversation_values(client.conversations.create(**call_kwargs(replay.get("request"))))


def _conversation_retrieve(client, replay):
    return _conversation_values(client.conversations.retrieve(replay["params"]["conversation_id"]))


def _conversation_update(client, replay):
    return _conversation_values(client.conversations.update(replay["params"]["conversation_id"],
                                                            **call_kwargs(replay.get("request"), "metadata")))


def _conversation_delete(client, replay):
    deleted = client.conversations.delete(replay["params"]["conversation_id"])
    return {"id": deleted.id, "deleted": deleted.deleted}


def _items_list(client, replay):
    return _page_values(client.conversations.items.list(
        replay["params"]["conversation_id"], **_options(replay, "after", "limit", "order", "include")))


def _items_create(client, replay):
    return _page_values(client.conversations.items.create(replay["params"]["conversation_id"],
                                                          **call_kwargs(replay.get("request"), "items")))


STATE_OPERATIONS = {
    "responses.retrieve": _responses_retrieve, "responses.delete": _responses_delete,
    "responses.cancel": _responses_cancel, "responses.input_items.list": _input_items,
    "responses.input_tokens.count": _input_tokens, "responses.compact": _compact,
    "conversations.create": _conversation_create, "conversations.retrieve": _conversation_retrieve,
    "conversations.update": _conversation_update, "conversations.delete": _conversation_delete,
    "conversations.items.list": _items_list, "conversations.items.create": _items_create,
}
