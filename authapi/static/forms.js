// Forms: the field an error is about gets aria-invalid, is tied to the
// message and takes the focus; password fields get a show-password box.
const error = document.getElementById("form-error");
const field = error && error.dataset.field;
if (field) {
  const input = document.querySelector(`main form [name="${CSS.escape(field)}"]`);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "form-error");
    input.focus();
  }
}
// A checkbox rather than a button, so that a form's only button stays its
// submit button.
for (const input of document.querySelectorAll('input[type="password"]')) {
  const label = document.createElement("label");
  label.className = "toggle-password";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.addEventListener("change", () => {
    input.type = box.checked ? "text" : "password";
  });
  label.append(box, " Show password");
  input.insertAdjacentElement("afterend", label);
}
