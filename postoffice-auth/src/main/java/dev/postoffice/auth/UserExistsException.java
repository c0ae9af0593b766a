package dev.postoffice.auth;

/** {@link PasswdFile#add} was asked to add a user the file already has a line for. */
public final class UserExistsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String name;

    public UserExistsException(String name) {
        super("User '" + name + "' already exists");
        this.name = name;
    }

    /** The user name that already exists. */
    public String name() {
        return name;
    }
}
