import { describe, expect, it } from "vitest";
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  SIGN_UP_FIELDS,
  errorSummary,
  firstInvalidField,
  hasErrors,
  isSignInField,
  isSignUpField,
  passwordLength,
  toSignInRequest,
  toSignUpRequest,
  validateEmail,
  validateFullName,
  validateNewPassword,
  validatePasswordConfirmation,
  validateSignIn,
  validateSignUp,
  validateUsername,
  withoutField,
  type SignUpInput,
} from "./validation";

const valid: SignUpInput = {
  fullName: "Ada Lovelace",
  email: "ada@example.com",
  username: "ada",
  password: "correct horse battery",
  passwordConfirm: "correct horse battery",
};

describe("validateFullName", () => {
  it("requires some non-blank text", () => {
    expect(validateFullName("")).toBe("Enter your full name.");
    expect(validateFullName("   ")).toBe("Enter your full name.");
    expect(validateFullName("Ada")).toBeNull();
  });
});

describe("validateEmail", () => {
  it("requires a value", () => {
    expect(validateEmail("")).toBe("Enter your email address.");
    expect(validateEmail("  ")).toBe("Enter your email address.");
  });

  it.each(["ada@example.com", "a@b", "first.last+tag@sub.example.org", "  ada@example.com  "])(
    "accepts %j",
    (email) => {
      expect(validateEmail(email)).toBeNull();
    },
  );

  it.each(["ada", "@example.com", "ada@", "a@b@c", "@", "ada@@example.com"])(
    "rejects %j",
    (email) => {
      expect(validateEmail(email)).toBe("Enter an address like name@example.com.");
    },
  );
});

describe("validateUsername", () => {
  it("requires a value", () => {
    expect(validateUsername("")).toBe("Choose a username.");
    expect(validateUsername("   ")).toBe("Choose a username.");
  });

  it.each(["abc", "Ada", "ADA.LOVELACE", "a_b-c.d", "007", "9lives", "a".repeat(32)])(
    "accepts %j",
    (username) => {
      expect(validateUsername(username)).toBeNull();
    },
  );

  it("enforces 3 to 32 characters", () => {
    expect(validateUsername("ab")).toBe("Use 3 to 32 characters.");
    expect(validateUsername("a".repeat(33))).toBe("Use 3 to 32 characters.");
  });

  it.each(["ada lovelace", "ada!", "adä", "ada@home", "名前です"])(
    "rejects characters outside a-z 0-9 . _ - in %j",
    (username) => {
      expect(validateUsername(username)).toBe(
        "Use only letters, digits, dots (.), hyphens (-) and underscores (_).",
      );
    },
  );

  it.each([".ada", "_ada", "-ada"])("requires a letter or digit first in %j", (username) => {
    expect(validateUsername(username)).toBe("Start with a letter or a digit.");
  });
});

describe("passwordLength", () => {
  it("counts code points, not UTF-16 units", () => {
    expect(passwordLength("abc")).toBe(3);
    expect(passwordLength("🔑🔑")).toBe(2);
    expect("🔑🔑".length).toBe(4);
  });
});

describe("validateNewPassword", () => {
  it("requires a value", () => {
    expect(validateNewPassword("")).toBe("Choose a password.");
  });

  it("enforces the minimum length", () => {
    expect(validateNewPassword("a".repeat(PASSWORD_MIN_LENGTH - 1))).toBe(
      "Use at least 12 characters.",
    );
    expect(validateNewPassword("a".repeat(PASSWORD_MIN_LENGTH))).toBeNull();
  });

  it("enforces the maximum length", () => {
    expect(validateNewPassword("a".repeat(PASSWORD_MAX_LENGTH))).toBeNull();
    expect(validateNewPassword("a".repeat(PASSWORD_MAX_LENGTH + 1))).toBe(
      "Use at most 1024 characters.",
    );
  });

  it("counts surrounding spaces as part of the password", () => {
    expect(validateNewPassword("  short  ")).toBe("Use at least 12 characters.");
    expect(validateNewPassword("     pad     ")).toBeNull();
    expect(validateNewPassword(" ".repeat(12))).toBeNull();
  });

  it("measures emoji passphrases by code point", () => {
    expect(validateNewPassword("🔑".repeat(11))).toBe("Use at least 12 characters.");
    expect(validateNewPassword("🔑".repeat(12))).toBeNull();
  });
});

describe("validatePasswordConfirmation", () => {
  it("requires the confirmation", () => {
    expect(validatePasswordConfirmation("secret", "")).toBe("Enter your password again.");
  });

  it("requires an exact match", () => {
    expect(validatePasswordConfirmation("secret", "secret")).toBeNull();
    expect(validatePasswordConfirmation("secret", "Secret")).toBe("The passwords don't match.");
    expect(validatePasswordConfirmation("secret", "secret ")).toBe("The passwords don't match.");
  });
});

describe("validateSignUp", () => {
  it("accepts a complete, valid form", () => {
    expect(validateSignUp(valid)).toEqual({});
  });

  it("reports every missing field", () => {
    const errors = validateSignUp({
      fullName: "",
      email: "",
      username: "",
      password: "",
      passwordConfirm: "",
    });
    expect(Object.keys(errors).sort()).toEqual([...SIGN_UP_FIELDS].sort());
  });

  it("reports a mismatch under password-confirm", () => {
    const errors = validateSignUp({ ...valid, passwordConfirm: "something else entirely" });
    expect(errors).toEqual({ "password-confirm": "The passwords don't match." });
  });
});

describe("validateSignIn", () => {
  it("only checks presence", () => {
    expect(validateSignIn({ username: "x", password: "y" })).toEqual({});
    expect(validateSignIn({ username: " ", password: "" })).toEqual({
      username: "Enter your username.",
      password: "Enter your password.",
    });
  });

  it("treats a password of spaces as present", () => {
    expect(validateSignIn({ username: "ada", password: "   " })).toEqual({});
  });
});

describe("request building", () => {
  it("trims identity fields but never the password", () => {
    expect(
      toSignUpRequest({
        fullName: "  Ada Lovelace ",
        email: " ada@example.com ",
        username: " Ada ",
        password: "  spaced secret  ",
        passwordConfirm: "  spaced secret  ",
      }),
    ).toEqual({
      fullName: "Ada Lovelace",
      email: "ada@example.com",
      username: "Ada",
      password: "  spaced secret  ",
    });
  });

  it("leaves the username's case to the server", () => {
    expect(toSignInRequest({ username: " Ada ", password: " pw " })).toEqual({
      username: "Ada",
      password: " pw ",
    });
  });
});

describe("error helpers", () => {
  it("finds the first invalid field in form order", () => {
    expect(firstInvalidField({ password: "x", email: "y" }, SIGN_UP_FIELDS)).toBe("email");
    expect(firstInvalidField({}, SIGN_UP_FIELDS)).toBeNull();
  });

  it("summarises for the form alert", () => {
    expect(errorSummary({})).toBeNull();
    expect(errorSummary({ email: "x" })).toBe("Please fix the highlighted field.");
    expect(errorSummary({ email: "x", username: "y" })).toBe(
      "Please fix the 2 highlighted fields.",
    );
  });

  it("knows whether there is anything to report", () => {
    expect(hasErrors({})).toBe(false);
    expect(hasErrors({ email: "x" })).toBe(true);
  });

  it("removes one field's message without touching the original", () => {
    const errors = { email: "x", username: "y" };
    expect(withoutField(errors, "email")).toEqual({ username: "y" });
    expect(errors).toEqual({ email: "x", username: "y" });
  });

  it("recognises field names sent by the server", () => {
    expect(isSignUpField("fullName")).toBe(true);
    expect(isSignUpField("password-confirm")).toBe(true);
    expect(isSignUpField("kycLevel")).toBe(false);
    expect(isSignUpField(null)).toBe(false);
    expect(isSignInField("username")).toBe(true);
    expect(isSignInField("email")).toBe(false);
  });
});
