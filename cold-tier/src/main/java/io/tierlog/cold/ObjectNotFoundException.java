package io.tierlog.cold;

/** A read named an object that does not exist (e.g. deleted by retention while a reader still held its key). */
public class ObjectNotFoundException extends ObjectStoreException {
    public ObjectNotFoundException(String message) {
        super(message);
    }
}
