document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("form-post");
  if (form) { form.submit(); }
});
