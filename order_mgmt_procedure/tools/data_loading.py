def loading_module_data(env):
    """Whether modules' data files are being loaded (a module installed or
    updated), whose demo orders, purchases and deliveries are confirmed and
    validated as the files say. The ``install_mode`` context alone proves
    nothing, any XML-RPC or JSON-RPC client can send it: the registry is
    ready only once the loading is over."""
    return bool(env.context.get("install_mode")) and not env.registry.ready
