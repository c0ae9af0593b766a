package dev.postoffice.auth;

/** {@link PasswdFile#setSecret} or {@link PasswdFile#remove} named a user the file has no line for. */
public final class NoSuchUserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String name;

    public NoSuchUserException(String name) {
        super("No such user '" + name + "'");
        this.name = name;
    }

    /** The user name that was not found. */
    public String name() {
        return name;
    }
}
