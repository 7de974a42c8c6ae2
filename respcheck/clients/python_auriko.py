"""The auriko SDK's view of a replayed answer (the seed gateway's client).

Its Client builds its own httpx.Client with no transport option, so the
view swaps in one with a MockTransport that serves the recorded answer,
then makes the SDK's own calls: responses.create (stream=False / True),
chat.completions.create (stream=False / True), models.list. A user of its
streams iterates them: a Responses stream's answer is `completed_response`
(None without a terminal event: the user's next access fails, so the view
raises), a chat stream's is the deltas added up as a user adds them.

`output_text`: auriko reads the `output_text` field off the wire, which the
contract does not send (it is an SDK convenience); without one, the view
joins the text parts of the SDK's typed message items, as its user would."""

from __future__ import annotations

from importlib.util import find_spec

from .sdk_common import MockServedViews, call_kwargs, raised, with_parsed

NAME = "auriko-python"


def installed() -> bool:
    return find_spec("auriko") is not None


class AurikoPythonViews(MockServedViews):
    http_module = "httpx"

    def __init__(self):
        import auriko

        super().__init__()
        self.version = auriko.__version__

    def make_client(self, answer):
        """Its Client builds its own httpx.Client with no transport option: one with the mock is swapped in."""
        import auriko
        import httpx

        client = auriko.Client(api_key="rc-client-replay", base_url="http://replay.invalid/v1", max_retries=0)
        client._httpx.close()
        client._httpx = httpx.Client(base_url=client.base_url, headers=client._default_headers,
                                     transport=httpx.MockTransport(answer))
        return client

    def view(self, replay: dict) -> dict:
        if replay["operation"] not in _OPERATIONS:  # the stored-state calls: the seed gateway is stateless
            from .replay import NotJudged

            raise NotJudged(f"the auriko SDK has no call for {replay['operation']}")
        return super().view(replay)

    def call(self, client, replay: dict) -> dict:
        return _OPERATIONS[replay["operation"]](client, replay.get("request"))

    def raised_view(self, exc: Exception) -> dict:
        from auriko import APIStatusError, AurikoAPIError

        if isinstance(exc, AurikoAPIError):
            return {"raised": raised(exc, status=exc.status_code, api_error=isinstance(exc, APIStatusError),
                                     code=exc.code), "values": {}}
        return {"raised": raised(exc, status=None, api_error=False), "values": {}}


def _response_values(response, request) -> dict:
    """An item auriko cannot type (a message with a refusal part, say) is an
    UnknownOutputItem by its design; its users read only the typed ones."""
    from auriko.models.responses import ResponseFunctionCallOutputItem, ResponseMessageOutputItem

    texts, calls = [], []
    for item in response.output:
        if isinstance(item, ResponseMessageOutputItem):
            texts += [part.text for part in item.content if part.type == "output_text"]
        elif isinstance(item, ResponseFunctionCallOutputItem):
            calls.append({"name": item.name, "arguments": item.arguments, "call_id": item.call_id})
    text = response.output_text or "".join(texts)
    usage = response.usage
    values = {"id": response.id, "status": response.status, "output_text": text, "function_calls": calls,
              "usage": None if usage is None else {"input_tokens": usage.input_tokens,
                                                   "output_tokens": usage.output_tokens,
                                                   "total_tokens": usage.total_tokens}}
    return with_parsed(values, text, request, chat=False)


def _responses_create(client, request) -> dict:
    return _response_values(client.responses.create(**call_kwargs(request, "input", "model", "gateway")), request)


def _responses_stream(client, request) -> dict:
    with client.responses.create(stream=True, **call_kwargs(request, "input", "model", "gateway")) as stream:
        for _ in stream:
            pass
        final = stream.completed_response
    if final is None:
        raise RuntimeError("the stream ended without a terminal event: completed_response is None")
    return _response_values(final, request)


def _chat_values(completion_id, content, calls, finish_reason, usage, request) -> dict:
    values = {"id": completion_id, "chat_content": content, "chat_tool_calls": calls, "finish_reason": finish_reason,
              "chat_usage": None if usage is None else {"prompt_tokens": usage.prompt_tokens,
                                                        "completion_tokens": usage.completion_tokens,
                                                        "total_tokens": usage.total_tokens}}
    return with_parsed(values, content, request, chat=True)


def _chat_create(client, request) -> dict:
    completion = client.chat.completions.create(**call_kwargs(request, "messages", "model", "gateway"))
    choice = completion.choices[0]
    calls = [{"name": c.function.name, "arguments": c.function.arguments, "id": c.id}
             for c in choice.message.tool_calls or ()]
    return _chat_values(completion.id, choice.message.content, calls, choice.finish_reason, completion.usage,
                        request)


def _chat_stream(client, request) -> dict:
    """The deltas added up the way a user of the stream adds them."""
    content, calls, finish_reason, completion_id = None, {}, None, None
    with client.chat.completions.create(stream=True, **call_kwargs(request, "messages", "model", "gateway")) as stream:
        for chunk in stream:
            completion_id = completion_id or chunk.id
            for choice in chunk.choices:
                if choice.index != 0:
                    continue
                delta = choice.delta
                if delta.content is not None:
                    content = (content or "") + delta.content
                for call in delta.tool_calls or ():
                    entry = calls.setdefault(call.index, {"name": None, "arguments": "", "id": None})
                    entry["id"] = entry["id"] or call.id
                    if call.function is not None:
                        entry["name"] = entry["name"] or call.function.name
                        entry["arguments"] += call.function.arguments or ""
                finish_reason = choice.finish_reason or finish_reason
        usage = stream.usage
    return _chat_values(completion_id, content, [calls[i] for i in sorted(calls)], finish_reason, usage, request)


def _models_list(client, request) -> dict:
    return {"model_ids": [model.id for model in client.models.list().data]}


_OPERATIONS = {"responses.create": _responses_create, "responses.stream": _responses_stream,
               "chat.completions.create": _chat_create, "chat.completions.stream": _chat_stream,
               "models.list": _models_list}
