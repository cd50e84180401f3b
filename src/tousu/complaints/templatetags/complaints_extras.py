from django import template

register = template.Library()


@register.filter
def add_class(field, css: str):
    """Render a bound field's widget with Bootstrap classes (selects get form-select)."""
    if field.widget_type == "select" and "form-control" in css:
        css = css.replace("form-control", "form-select")
    return field.as_widget(attrs={"class": css})
