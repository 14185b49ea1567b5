"""The OpenAPI document of the SDK API and OFREP, written by hand because these routes bypass FastAPI."""

from __future__ import annotations

from typing import Any

from togglr import __version__

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
_OFREP_ERROR = {
    "type": "object",
    "required": ["errorCode"],
    "properties": {
        "key": {"type": "string"},
        "errorCode": {"type": "string"},
        "errorDetails": {"type": "string"},
    },
}
_JSON_VALUE: dict[str, Any] = {}  # any JSON value
_KEY_PARAM = {
    "name": "feature_key",
    "in": "path",
    "required": True,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 50,
        "pattern": "^[A-Za-z0-9_:@!$.-]+$",
    },
}
_OFREP_KEY = {**_KEY_PARAM, "name": "key"}


def _err(description: str, schema: dict[str, Any] = _ERROR) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int, schema: dict[str, Any] = _ERROR) -> dict[str, Any]:
    text = {
        400: "Invalid input",
        401: "Missing or invalid API key",
        404: "Feature not found",
        405: "Method not allowed",
        413: "Body too large",
    }
    return {str(c): _err(text[c], schema) for c in codes}


_SECURITY = [{"ApiKeyAuth": []}, {"BearerKey": []}, {"HeaderKey": []}]
_EMPTY_202 = {"202": {"description": "Accepted and stored"}}

_TRACK = {
    "type": "object",
    "required": ["event_type"],
    "properties": {
        "event_type": {"type": "string", "enum": ["success", "failure", "error"]},
        # "" (what evaluate serves for a disabled or excluded flag) means no variant
        "variant_key": {"type": "string", "maxLength": 128},
        "reward": {"type": "number"},
        "context": {"type": "object"},
        "created_at": {"type": "string", "format": "date-time"},
        "dedup_key": {"type": "string", "minLength": 1, "maxLength": 200},
    },
}
_ERROR_REPORT = {
    "type": "object",
    "required": ["error_type", "error_message"],
    "properties": {
        "error_type": {"type": "string", "minLength": 1, "maxLength": 100},
        "error_message": {"type": "string", "minLength": 1},
        "context": {"type": "object"},
    },
}
_OFREP_REQUEST = {"type": "object", "properties": {"context": {"type": "object"}}}
_OFREP_SUCCESS = {
    "type": "object",
    "description": "No `value` (OFREP's codeDefaultFlag): the provider uses the code default",
    "required": ["key", "reason", "variant"],
    "properties": {
        "key": {"type": "string"},
        "reason": {"type": "string"},
        "variant": {"type": "string"},
        "value": _JSON_VALUE,
        "metadata": {"type": "object"},
    },
}


def sdk_openapi() -> dict[str, Any]:
    # The /sdk/v1 operationIds and the `ApiKeyAuth` scheme name are those of the original SDK API,
    # so a client generated from this document has the method names and the
    # `api_key={"ApiKeyAuth": key}` configuration the published Togglr SDKs use
    # (see spec/sdk-compat/ and tests/compat/).
    return {
        "openapi": "3.1.0",
        "info": {"title": "Togglr SDK API and OFREP", "version": __version__},
        "components": {
            "securitySchemes": {
                "ApiKeyAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "The environment's SDK key, as the Togglr SDKs send it",
                },
                "BearerKey": {"type": "http", "scheme": "bearer"},
                "HeaderKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            }
        },
        "paths": {
            "/sdk/v1/health": {
                "get": {
                    "operationId": "SdkV1HealthGet",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "Alive",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["status", "server_time"],
                                        "properties": {
                                            "status": {"type": "string"},
                                            "server_time": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/sdk/v1/features/{feature_key}/evaluate": {
                "post": {
                    "operationId": "SdkV1FeaturesFeatureKeyEvaluatePost",
                    "security": _SECURITY,
                    "parameters": [_KEY_PARAM],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "description": "The evaluation context: attribute name -> JSON value",
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Decision",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["feature_key", "enabled", "value"],
                                        "properties": {
                                            "feature_key": {"type": "string"},
                                            "enabled": {"type": "boolean"},
                                            "value": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        },
                        **_errors(400, 401, 404, 413),
                    },
                }
            },
            "/sdk/v1/features/{feature_key}/track": {
                "post": {
                    "operationId": "TrackFeatureEvent",
                    "security": _SECURITY,
                    "parameters": [_KEY_PARAM],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _TRACK}},
                    },
                    "responses": {**_EMPTY_202, **_errors(400, 401, 404, 413)},
                }
            },
            "/sdk/v1/features/{feature_key}/report-error": {
                "post": {
                    "operationId": "ReportFeatureError",
                    "security": _SECURITY,
                    "parameters": [_KEY_PARAM],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ERROR_REPORT}},
                    },
                    "responses": {**_EMPTY_202, **_errors(400, 401, 404, 413)},
                }
            },
            "/sdk/v1/features/{feature_key}/health": {
                "get": {
                    "operationId": "GetFeatureHealth",
                    "security": _SECURITY,
                    "parameters": [_KEY_PARAM],
                    "responses": {
                        "200": {
                            "description": "Health",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": [
                                            "feature_key",
                                            "environment_key",
                                            "enabled",
                                            "auto_disabled",
                                            "error_rate",
                                            "threshold",
                                        ],
                                        "properties": {
                                            "feature_key": {"type": "string"},
                                            "environment_key": {"type": "string"},
                                            "enabled": {"type": "boolean"},
                                            "auto_disabled": {"type": "boolean"},
                                            "error_rate": {"type": "number"},
                                            "threshold": {"type": "integer"},
                                            "errors_in_window": {"type": "integer"},
                                            "window_sec": {"type": "integer"},
                                            "status": {"type": "string"},
                                            # absent when the feature never had an error
                                            "last_error_at": {
                                                "type": "string",
                                                "format": "date-time",
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        **_errors(401, 404),
                    },
                }
            },
            "/ofrep/v1/evaluate/flags/{key}": {
                "post": {
                    "operationId": "ofrepEvaluateFlag",
                    "security": [{"BearerKey": []}, {"HeaderKey": []}],
                    "parameters": [_OFREP_KEY],
                    "requestBody": {"content": {"application/json": {"schema": _OFREP_REQUEST}}},
                    "responses": {
                        "200": {
                            "description": "Evaluation",
                            "content": {"application/json": {"schema": _OFREP_SUCCESS}},
                        },
                        "400": _err("Invalid context", _OFREP_ERROR),
                        "404": _err("Flag not found", _OFREP_ERROR),
                        **_errors(401, 413),
                    },
                }
            },
            "/ofrep/v1/evaluate/flags": {
                "post": {
                    "operationId": "ofrepEvaluateFlags",
                    "security": [{"BearerKey": []}, {"HeaderKey": []}],
                    "parameters": [
                        {
                            "name": "If-None-Match",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                        }
                    ],
                    "requestBody": {"content": {"application/json": {"schema": _OFREP_REQUEST}}},
                    "responses": {
                        "200": {
                            "description": "All flags",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["flags"],
                                        "properties": {
                                            "flags": {"type": "array", "items": {"type": "object"}}
                                        },
                                    }
                                }
                            },
                        },
                        "304": {"description": "Unchanged since the given ETag"},
                        "400": _err("Invalid context", _OFREP_ERROR),
                        **_errors(401, 413),
                    },
                }
            },
        },
    }
