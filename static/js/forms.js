// A field's error message goes away as soon as the field is changed, so a fixed answer no
// longer says it is wrong (the server checks everything again on submit). No JavaScript:
// the messages simply stay until the form is sent again.
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field || !field.getAttribute || field.getAttribute("aria-invalid") !== "true") return;
    var name = field.getAttribute("name") || field.id;
    field.removeAttribute("aria-invalid");
    var message = document.getElementById(name + "-error");
    if (message) message.remove();
    var described = (field.getAttribute("aria-describedby") || "").split(/\s+/)
      .filter(function (id) { return id && id !== name + "-error"; });
    if (described.length) field.setAttribute("aria-describedby", described.join(" "));
    else field.removeAttribute("aria-describedby");
    var link = document.querySelector('.error-summary a[href="#' + field.id + '"]');
    if (link && link.parentNode) link.parentNode.classList.add("fixed");
  });
})();
